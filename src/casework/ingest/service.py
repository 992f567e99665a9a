"""Accepting uploads: validate every file, deduplicate, store originals, queue processing.

All files of a request are checked before anything is stored: one unsupported file refuses
the whole request (415) and nothing is kept. Same bytes in the same workspace are the same
document; the unique constraint on (workspace, sha256) makes that hold under concurrency.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.collections import service as collections_service
from casework.core.database import after_commit, after_rollback
from casework.core.errors import CaseworkError, InvalidInput, UnsupportedMediaType
from casework.core.scoping import scoped
from casework.core.settings import Settings
from casework.documents.models import Document
from casework.ingest.filenames import sanitize_filename
from casework.ingest.job_kinds import PROCESS_DOCUMENT
from casework.ingest.parsers import EmbeddedFile, parser_for
from casework.ingest.sniff import sniff_media_type
from casework.ingest.upload import SpooledFile
from casework.jobs import service as jobs_service
from casework.media import service as media_service
from casework.runtime import Runtime
from casework.storage.blobstore import original_key
from casework.storage.spool import spool_blocks


@dataclass(frozen=True, slots=True)
class AcceptedUpload:
    document: Document
    duplicate: bool


def _find_by_hash(session: Session, workspace_id: str, sha256: str) -> Document | None:
    return session.scalars(scoped(Document, workspace_id).where(Document.sha256 == sha256)).first()


SUPPORTED = ("PDF, Word, Excel, PowerPoint, e-mail (.eml), HTML, Markdown, text, images, "
             "video and audio")


def _check_file(spooled: SpooledFile, settings: Settings) -> tuple[str, str]:
    """The file's safe name and real media type, or the reason it cannot be accepted."""
    name = sanitize_filename(spooled.filename, max_length=settings.max_filename_length)
    if spooled.size == 0:
        raise InvalidInput(f"{name!r} is empty", details={"filename": name})
    media_type = sniff_media_type(spooled.path, name)
    if media_type is None or parser_for(media_type) is None:
        raise UnsupportedMediaType(
            f"{name!r} is not a supported file type ({SUPPORTED})",
            details={"filename": name, "detected": media_type})
    try:
        media_service.check_upload(path=spooled.path, media_type=media_type, settings=settings)
    except CaseworkError as exc:
        exc.message = f"{name!r}: {exc.message}"
        exc.details = {"filename": name, **exc.details}
        raise
    return name, media_type


def _validate(files: list[SpooledFile], settings: Settings) -> list[tuple[SpooledFile, str, str]]:
    if not files:
        raise InvalidInput("no file in the upload: send one or more parts named 'files'")
    return [(spooled, *_check_file(spooled, settings)) for spooled in files]


def _store(session: Session, runtime: Runtime, *, workspace_id: str, collection_id: str,
           spooled: SpooledFile, name: str, media_type: str,
           parent_document_id: str | None = None) -> AcceptedUpload:
    """Keep one file: the existing document for known bytes, else a new one and its job."""
    existing = _find_by_hash(session, workspace_id, spooled.sha256)
    if existing is not None:
        spooled.discard()
        return AcceptedUpload(existing, duplicate=True)
    key = original_key(workspace_id, spooled.sha256)
    existed = runtime.blobs.exists(key)
    runtime.blobs.put_file(key, spooled.path)
    if not existed:
        after_rollback(session, lambda key=key: runtime.blobs.delete(key))
    document = Document(workspace_id=workspace_id, collection_id=collection_id,
                        filename=name, media_type=media_type, size_bytes=spooled.size,
                        sha256=spooled.sha256, parent_document_id=parent_document_id)
    try:
        with session.begin_nested():
            session.add(document)
    except IntegrityError:
        # The same bytes were committed by a concurrent upload a moment ago.
        existing = _find_by_hash(session, workspace_id, spooled.sha256)
        if existing is None:
            raise
        return AcceptedUpload(existing, duplicate=True)
    jobs_service.enqueue(session=session, kind=PROCESS_DOCUMENT,
                         payload={"document_id": document.id}, workspace_id=workspace_id,
                         max_attempts=runtime.settings.job_max_attempts,
                         notify=runtime.notify_jobs)
    return AcceptedUpload(document, duplicate=False)


def accept_uploads(*, session: Session, runtime: Runtime, workspace_id: str,
                   collection_id: str, files: list[SpooledFile]) -> list[AcceptedUpload]:
    """Store each file once and queue its processing; the caller commits."""
    collections_service.get_collection(session=session, workspace_id=workspace_id,
                                       collection_id=collection_id)
    checked = _validate(files, runtime.settings)
    results = [_store(session, runtime, workspace_id=workspace_id, collection_id=collection_id,
                      spooled=spooled, name=name, media_type=media_type)
               for spooled, name, media_type in checked]
    stored = [r for r in results if not r.duplicate]
    after_commit(session, lambda: runtime.metrics.count_ingest(
        stored_bytes=sum(r.document.size_bytes for r in stored), stored=len(stored),
        duplicates=len(results) - len(stored)))
    return results


def accept_uploads_by(*, session: Session, runtime: Runtime, principal: Principal,
                      collection_id: str, files: list[SpooledFile]) -> list[AcceptedUpload]:
    """An upload by `principal` (the API's): accepted as `accept_uploads` does, and audited
    in the same transaction, naming the new documents and the duplicates apart."""
    accepted = accept_uploads(session=session, runtime=runtime,
                              workspace_id=principal.workspace_id,
                              collection_id=collection_id, files=files)
    audit.record_by(session=session, principal=principal, action="document.upload",
                    target_type="collection", target_id=collection_id,
                    details={"documents": [a.document.id for a in accepted if not a.duplicate],
                             "duplicates": [a.document.id for a in accepted if a.duplicate]})
    return accepted


def _spool_bytes(data: bytes, filename: str, tmp_dir: Path) -> SpooledFile:
    path, size, sha256 = spool_blocks([data], tmp_dir=tmp_dir, prefix="attachment-")
    return SpooledFile("attachment", filename, path, size, sha256)


def accept_attachments(*, session: Session, runtime: Runtime, workspace_id: str,
                       collection_id: str, parent_document_id: str,
                       files: list[EmbeddedFile]) -> list[dict[str, Any]]:
    """Ingest the files inside a document (e-mail attachments) like uploads, linked to it.

    Unlike an upload, one unsupported attachment does not refuse the others: it is listed
    with the reason. Known bytes are the existing document (dedupe applies as usual).
    """
    listed: list[dict[str, Any]] = []
    for embedded in files:
        spooled = _spool_bytes(embedded.data, embedded.filename, runtime.settings.tmp_dir)
        try:
            name, media_type = _check_file(spooled, runtime.settings)
        except CaseworkError as exc:
            spooled.discard()
            listed.append({"filename": sanitize_filename(embedded.filename),
                           "skipped": exc.message})
            continue
        try:
            accepted = _store(session, runtime, workspace_id=workspace_id,
                              collection_id=collection_id, spooled=spooled, name=name,
                              media_type=media_type, parent_document_id=parent_document_id)
        finally:
            spooled.discard()
        child = accepted.document
        listed.append({"document_id": child.id, "filename": name, "media_type": media_type,
                       "sha256": child.sha256,
                       "duplicate": child.parent_document_id != parent_document_id})
    return listed
