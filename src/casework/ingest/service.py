"""Accepting uploads: validate every file, deduplicate, store originals, queue processing.

All files of a request are checked before anything is stored: one unsupported file refuses
the whole request (415) and nothing is kept. Same bytes in the same workspace are the same
document; the unique constraint on (workspace, sha256) makes that hold under concurrency.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casework.collections import service as collections_service
from casework.core.database import after_commit, after_rollback
from casework.core.errors import InvalidInput, UnsupportedMediaType
from casework.core.scoping import scoped
from casework.documents.models import Document
from casework.ingest.filenames import sanitize_filename
from casework.ingest.parsers import parser_for
from casework.ingest.pipeline import PROCESS_DOCUMENT
from casework.ingest.sniff import sniff_media_type
from casework.ingest.upload import SpooledFile
from casework.jobs import service as jobs_service
from casework.runtime import Runtime
from casework.storage.blobstore import original_key


@dataclass(frozen=True, slots=True)
class AcceptedUpload:
    document: Document
    duplicate: bool


def _find_by_hash(session: Session, workspace_id: str, sha256: str) -> Document | None:
    return session.scalars(scoped(Document, workspace_id).where(Document.sha256 == sha256)).first()


def _validate(files: list[SpooledFile], max_name: int) -> list[tuple[SpooledFile, str, str]]:
    if not files:
        raise InvalidInput("no file in the upload: send one or more parts named 'files'")
    checked = []
    for spooled in files:
        name = sanitize_filename(spooled.filename, max_length=max_name)
        if spooled.size == 0:
            raise InvalidInput(f"{name!r} is empty", details={"filename": name})
        media_type = sniff_media_type(spooled.path, name)
        if media_type is None or parser_for(media_type) is None:
            raise UnsupportedMediaType(
                f"{name!r} is not a supported file type (PDF, DOCX, HTML, Markdown, text)",
                details={"filename": name, "detected": media_type})
        checked.append((spooled, name, media_type))
    return checked


def accept_uploads(*, session: Session, runtime: Runtime, workspace_id: str,
                   collection_id: str, files: list[SpooledFile]) -> list[AcceptedUpload]:
    """Store each file once and queue its processing; the caller commits."""
    collections_service.get_collection(session=session, workspace_id=workspace_id,
                                       collection_id=collection_id)
    checked = _validate(files, runtime.settings.max_filename_length)
    results: list[AcceptedUpload] = []
    for spooled, name, media_type in checked:
        existing = _find_by_hash(session, workspace_id, spooled.sha256)
        if existing is not None:
            spooled.discard()
            results.append(AcceptedUpload(existing, duplicate=True))
            continue
        key = original_key(workspace_id, spooled.sha256)
        existed = runtime.blobs.exists(key)
        runtime.blobs.put_file(key, spooled.path)
        if not existed:
            after_rollback(session, lambda key=key: runtime.blobs.delete(key))
        document = Document(workspace_id=workspace_id, collection_id=collection_id,
                            filename=name, media_type=media_type, size_bytes=spooled.size,
                            sha256=spooled.sha256)
        try:
            with session.begin_nested():
                session.add(document)
        except IntegrityError:
            # The same bytes were committed by a concurrent upload a moment ago.
            existing = _find_by_hash(session, workspace_id, spooled.sha256)
            if existing is None:
                raise
            results.append(AcceptedUpload(existing, duplicate=True))
            continue
        jobs_service.enqueue(session=session, kind=PROCESS_DOCUMENT,
                             payload={"document_id": document.id}, workspace_id=workspace_id,
                             max_attempts=runtime.settings.job_max_attempts,
                             notify=runtime.notify_jobs)
        results.append(AcceptedUpload(document, duplicate=False))
    stored = [r for r in results if not r.duplicate]
    after_commit(session, lambda: runtime.metrics.count_ingest(
        stored_bytes=sum(r.document.size_bytes for r in stored), stored=len(stored),
        duplicates=len(results) - len(stored)))
    return results
