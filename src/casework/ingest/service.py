"""Accepting uploads: validate every file, deduplicate, store originals, queue processing.

All files of a request are checked before anything is stored: one unsupported file refuses
the whole request (415) and nothing is kept. Same bytes in the same workspace are the same
document; the unique constraint on (workspace, sha256) makes that hold under concurrency.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from casework.custody import service as custody
from casework.custody.service import MAX_SOURCE_PATH, Arrival
from casework.documents.models import Document
from casework.ingest.filenames import sanitize_filename
from casework.ingest.job_kinds import PROCESS_DOCUMENT
from casework.ingest.parsers import EmbeddedFile, parser_for
from casework.ingest.sniff import sniff_media_type
from casework.ingest.upload import SpooledFile
from casework.jobs import service as jobs_service
from casework.media import service as media_service
from casework.progress import service as progress_service
from casework.runtime import Runtime
from casework.storage.blobstore import original_key
from casework.storage.spool import digest_blocks

MEMBER_READ_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class AcceptedUpload:
    document: Document
    duplicate: bool


@dataclass(frozen=True, slots=True)
class AcceptedBatch:
    """An upload request's files, and the batch (progress/) that follows them."""

    batch_id: str
    accepted: list[AcceptedUpload]


def _find_by_hash(session: Session, workspace_id: str, sha256: str) -> Document | None:
    return session.scalars(scoped(Document, workspace_id).where(Document.sha256 == sha256)).first()


SUPPORTED = ("PDF, Word, Excel, PowerPoint, e-mail (.eml, .msg), mailboxes (.mbox, .pst), "
             "HTML, Markdown, text, images, video, audio and archives (ZIP, TAR, 7z)")


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
           spooled: SpooledFile, name: str, media_type: str, arrival: Arrival,
           parent_document_id: str | None = None) -> AcceptedUpload:
    """Keep one file: the existing document for known bytes, else a new one and its job.
    Either way the arrival is a new file location of the document (custody/)."""
    accepted = _keep(session, runtime, workspace_id=workspace_id, collection_id=collection_id,
                     spooled=spooled, name=name, media_type=media_type,
                     parent_document_id=parent_document_id)
    document = accepted.document
    if accepted.duplicate and document.md5 is None and spooled.md5:
        # Stored before MD5/SHA-1 were kept: these bytes are the same, so are their digests.
        document.md5, document.sha1 = spooled.md5, spooled.sha1
    if accepted.duplicate and arrival.parent_document_id is not None and \
            custody.has_arrival(session=session, document=document, arrival=arrival):
        return accepted  # a retried container job: this member's arrival is recorded
    custody.record_location(session=session, document=document, arrival=arrival,
                            filename=name, collection_id=collection_id,
                            duplicate=accepted.duplicate)
    return accepted


def _keep(session: Session, runtime: Runtime, *, workspace_id: str, collection_id: str,
          spooled: SpooledFile, name: str, media_type: str,
          parent_document_id: str | None) -> AcceptedUpload:
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
                        sha256=spooled.sha256, md5=spooled.md5 or None,
                        sha1=spooled.sha1 or None, parent_document_id=parent_document_id)
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
                   collection_id: str, files: list[SpooledFile],
                   arrival: Arrival = Arrival(via="cli"),
                   batch_id: str | None = None) -> list[AcceptedUpload]:
    """Store each file once and queue its processing; the caller commits. Every file,
    duplicate or not, is recorded as an arrival (a file location) described by `arrival`,
    and as one of the upload batch `batch_id`'s documents when there is one."""
    collections_service.get_collection(session=session, workspace_id=workspace_id,
                                       collection_id=collection_id)
    checked = _validate(files, runtime.settings)
    results = [_store(session, runtime, workspace_id=workspace_id, collection_id=collection_id,
                      spooled=spooled, name=name, media_type=media_type, arrival=arrival)
               for spooled, name, media_type in checked]
    if batch_id is not None:
        for result in results:
            progress_service.add_to_batch(session=session, batch_id=batch_id,
                                          workspace_id=workspace_id,
                                          document_id=result.document.id,
                                          duplicate=result.duplicate)
    stored = [r for r in results if not r.duplicate]
    after_commit(session, lambda: runtime.metrics.count_ingest(
        stored_bytes=sum(r.document.size_bytes for r in stored), stored=len(stored),
        duplicates=len(results) - len(stored)))
    return results


def accept_uploads_by(*, session: Session, runtime: Runtime, principal: Principal,
                      collection_id: str, files: list[SpooledFile],
                      custodian: str | None = None,
                      source_path: str | None = None) -> AcceptedBatch:
    """An upload by `principal` (the API's): accepted as `accept_uploads` does, as one
    upload batch, and audited in the same transaction, naming the new documents and the
    duplicates apart.
    `custodian` and `source_path` (optional, as the uploader states them) go to the
    custody record of every file."""
    custodian, source_path = custody.clean_arrival_fields(custodian=custodian,
                                                          source_path=source_path)
    collections_service.get_collection(session=session, workspace_id=principal.workspace_id,
                                       collection_id=collection_id)
    batch = progress_service.open_batch(
        session=session, workspace_id=principal.workspace_id, collection_id=collection_id,
        via="api", file_count=len(files), user_id=principal.user_id,
        api_key_id=principal.api_key_id, label=principal.label)
    accepted = accept_uploads(session=session, runtime=runtime,
                              workspace_id=principal.workspace_id,
                              collection_id=collection_id, files=files,
                              arrival=Arrival.by(principal, custodian=custodian,
                                                 source_path=source_path),
                              batch_id=batch.id)
    audit.record_by(session=session, principal=principal, action="document.upload",
                    target_type="collection", target_id=collection_id,
                    details={"documents": [a.document.id for a in accepted if not a.duplicate],
                             "duplicates": [a.document.id for a in accepted if a.duplicate],
                             "batch_id": batch.id,
                             **({"custodian": custodian} if custodian else {})})
    return AcceptedBatch(batch_id=batch.id, accepted=accepted)


def _spool_member(embedded: EmbeddedFile) -> SpooledFile:
    """A member already on disk (in the sandbox's folder under DATA_DIR/tmp), hashed in
    one streaming pass: the file itself is what gets published, never a copy in memory."""
    with open(embedded.path, "rb") as fh:
        digests = digest_blocks(iter(lambda: fh.read(MEMBER_READ_BYTES), b""))
    return SpooledFile("member", embedded.filename, embedded.path,
                       embedded.path.stat().st_size, digests.sha256, md5=digests.md5,
                       sha1=digests.sha1)


@dataclass(frozen=True, slots=True)
class HashedMember:
    embedded: EmbeddedFile
    spooled: SpooledFile


def hash_members(files: list[EmbeddedFile]) -> list[HashedMember]:
    """Members with their digests, computed before the transaction that stores them: an
    archive of 4 GiB hashed inside it would hold SQLite's one write lock for seconds."""
    return [HashedMember(embedded, _spool_member(embedded)) for embedded in files]


@dataclass(frozen=True, slots=True)
class ContainerArrival:
    """Where a container's members came from: the container, how (`via`: "attachment",
    "archive"), and what its own arrival said (custodian, its path) for theirs."""

    parent_document_id: str
    via: str = "attachment"
    container_path: str | None = None  # set: a member's source path is "<this>!/<inner>"
    custodian: str | None = None

    def for_member(self, inner_path: str) -> Arrival:
        source = (f"{self.container_path}!/{inner_path}"[:MAX_SOURCE_PATH]
                  if self.container_path else None)
        return Arrival(via=self.via, custodian=self.custodian, source_path=source,
                       parent_document_id=self.parent_document_id)


def accept_attachments(*, session: Session, runtime: Runtime, workspace_id: str,
                       collection_id: str, container: ContainerArrival,
                       files: list[HashedMember]) -> list[dict[str, Any]]:
    """Ingest the files inside a document (attachments, archive members) like uploads,
    linked to it; each file is consumed (published or removed).

    Unlike an upload, one unsupported member does not refuse the others: it is listed
    with the reason. Known bytes are the existing document (dedupe applies as usual).
    """
    listed: list[dict[str, Any]] = []
    parent_document_id = container.parent_document_id
    for embedded, spooled in ((member.embedded, member.spooled) for member in files):
        try:
            name, media_type = _check_file(spooled, runtime.settings)
        except CaseworkError as exc:
            spooled.discard()
            listed.append({"filename": sanitize_filename(embedded.filename),
                           "inner_path": embedded.inner_path, "skipped": exc.message,
                           "code": exc.code})
            continue
        try:
            accepted = _store(session, runtime, workspace_id=workspace_id,
                              collection_id=collection_id, spooled=spooled, name=name,
                              media_type=media_type, parent_document_id=parent_document_id,
                              arrival=container.for_member(embedded.inner_path))
        finally:
            spooled.discard()
        child = accepted.document
        listed.append({"document_id": child.id, "filename": name, "media_type": media_type,
                       "inner_path": embedded.inner_path, "sha256": child.sha256,
                       "duplicate": child.parent_document_id != parent_document_id})
    return listed
