"""Documents after upload: list, read, tag, retry, delete."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.core.database import after_commit
from casework.core.errors import Conflict
from casework.core.scoping import get_scoped, scoped
from casework.documents import blobs as document_blobs
from casework.documents.models import Document, DocumentPage, DocumentStatus
from casework.holds import service as holds_service
from casework.ingest.job_kinds import PROCESS_DOCUMENT
from casework.jobs import service as jobs_service
from casework.mail import service as mail_service
from casework.runtime import Runtime
from casework.search import indexing
from casework.storage.blobstore import original_key
from casework.tags import service as tags_service
from casework.tags.models import DocumentTag, Tag


@dataclass(frozen=True, slots=True)
class DocumentFilters:
    collection_id: str | None = None
    status: DocumentStatus | None = None
    media_type: str | None = None
    tag: str | None = None


def get_document(*, session: Session, workspace_id: str, document_id: str) -> Document:
    return get_scoped(session, Document, workspace_id, document_id, noun="document")


def view_document(*, session: Session, runtime: Runtime, principal: Principal,
                  document_id: str) -> Document:
    """The document, for a request that shows its content: audited (`record_view`).
    Not found (or another workspace's) raises before anything is written."""
    document = get_document(session=session, workspace_id=principal.workspace_id,
                            document_id=document_id)
    record_view(runtime=runtime, principal=principal, document=document)
    return document


def record_view(*, runtime: Runtime, principal: Principal, document: Document) -> None:
    """`document.view`, at most once per (actor, document) per `VIEW_AUDIT_WINDOW_SECONDS`,
    in its own short transaction (the requests that show content are GETs on a read-only
    session).

    Only content is audited, not metadata: clients poll `GET /documents/{id}` for its status
    (every 50 ms in our own tests), and a row per poll would bury the events that matter.
    """
    audit.record_view(sessions=runtime.sessions, limiter=runtime.limiter,
                      window_seconds=runtime.settings.view_audit_window_seconds,
                      principal=principal, document_id=document.id)


def list_documents(*, session: Session, workspace_id: str, filters: DocumentFilters,
                   limit: int, offset: int) -> tuple[list[Document], int]:
    query = scoped(Document, workspace_id)
    if filters.collection_id is not None:
        query = query.where(Document.collection_id == filters.collection_id)
    if filters.status is not None:
        query = query.where(Document.status == filters.status)
    if filters.media_type is not None:
        query = query.where(Document.media_type == filters.media_type)
    if filters.tag is not None:
        query = query.where(Document.id.in_(
            select(DocumentTag.document_id).join(Tag, Tag.id == DocumentTag.tag_id)
            .where(Tag.workspace_id == workspace_id, Tag.name == filters.tag.lower())))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Document.created_at.desc(), Document.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def list_pages(*, session: Session, workspace_id: str, document_id: str, limit: int,
               offset: int) -> list[DocumentPage]:
    get_document(session=session, workspace_id=workspace_id, document_id=document_id)
    return list(session.scalars(
        select(DocumentPage)
        .where(DocumentPage.workspace_id == workspace_id,
               DocumentPage.document_id == document_id)
        .order_by(DocumentPage.number).limit(limit).offset(offset)))


def read_pages(*, session: Session, runtime: Runtime, principal: Principal, document_id: str,
               limit: int, offset: int) -> list[DocumentPage]:
    """A page of the document's text for an API client: its content, so audited."""
    document = view_document(session=session, runtime=runtime, principal=principal,
                             document_id=document_id)
    return list_pages(session=session, workspace_id=principal.workspace_id,
                      document_id=document.id, limit=limit, offset=offset)


def read_original(*, runtime: Runtime, document: Document, start: int = 0,
                  length: int | None = None) -> Iterator[bytes]:
    """The original's bytes (or `length` of them from `start`, for HTTP ranges), streamed
    from the store: a video of gigabytes is never read into memory."""
    key = original_key(document.workspace_id, document.sha256)
    if start == 0 and (length is None or length == document.size_bytes):
        return runtime.blobs.open_chunks(key)
    return runtime.blobs.open_range(key, start, length if length is not None
                                    else document.size_bytes - start)


def set_tags(*, session: Session, principal: Principal, document_id: str,
             tags: list[str]) -> list[str]:
    """Replace a document's tags; audited with the tags before and after
    (`document.tags`), when they changed."""
    workspace_id = principal.workspace_id
    get_document(session=session, workspace_id=workspace_id, document_id=document_id)
    before = tags_service.document_tags(session=session, workspace_id=workspace_id,
                                        document_ids=[document_id]).get(document_id, [])
    after = tags_service.set_document_tags(session=session, workspace_id=workspace_id,
                                           document_id=document_id, names=tags)
    if sorted(before) != sorted(after):
        audit.record_by(session=session, principal=principal, action="document.tags",
                        target_type="document", target_id=document_id,
                        details={"old": sorted(before), "new": sorted(after)})
    return after


def retry_document(*, session: Session, runtime: Runtime, principal: Principal,
                   document_id: str) -> Document:
    """Queue a failed document again; its original was kept. Audited (`document.retry`,
    with the error it had)."""
    workspace_id = principal.workspace_id
    document = get_document(session=session, workspace_id=workspace_id, document_id=document_id)
    if document.status != DocumentStatus.failed:
        raise Conflict(f"only failed documents can be retried (this one is {document.status})")
    audit.record_by(session=session, principal=principal, action="document.retry",
                    target_type="document", target_id=document.id,
                    details={"error": (document.error or "")[:500]})
    document.status = DocumentStatus.queued
    document.error = None
    jobs_service.enqueue(session=session, kind=PROCESS_DOCUMENT,
                         payload={"document_id": document.id}, workspace_id=workspace_id,
                         max_attempts=runtime.settings.job_max_attempts,
                         notify=runtime.notify_jobs)
    return document


def delete_document(*, session: Session, runtime: Runtime, principal: Principal,
                    document_id: str) -> None:
    """Remove the document, its pages and index entries; the blob once unreferenced.

    Its unfinished jobs are cancelled in the same transaction: queued ones never run, and
    one processing it right now stops at its next stage or page boundary. The deletion is
    audited in that transaction too, from the API and the web page alike. Refused while a
    legal hold covers it.
    """
    workspace_id = principal.workspace_id
    document = get_document(session=session, workspace_id=workspace_id, document_id=document_id)
    holds_service.ensure_document_deletable(session=session, workspace_id=workspace_id,
                                            document_id=document.id)
    jobs_service.cancel_document_jobs(session=session, workspace_id=workspace_id,
                                      document_ids=[document.id])
    _delete(session=session, runtime=runtime, document=document)
    audit.record_by(session=session, principal=principal, action="document.delete",
                    target_type="document", target_id=document_id)


def _delete(*, session: Session, runtime: Runtime, document: Document) -> None:
    workspace_id = document.workspace_id
    indexing.remove_chunks(session=session, runtime=runtime, workspace_id=workspace_id,
                           document_id=document.id)
    sha256 = document.sha256
    mail_service.forget_document(session=session, workspace_id=workspace_id,
                                 document_id=document.id)
    # Attachments outlive their message; they just stop pointing at it.
    session.execute(update(Document).where(
        Document.workspace_id == workspace_id, Document.parent_document_id == document.id,
    ).values(parent_document_id=None))
    session.delete(document)
    session.flush()
    after_commit(session, lambda: document_blobs.drop_if_unreferenced(
        runtime=runtime, workspace_id=workspace_id, sha256=sha256))


def delete_collection_documents(*, session: Session, runtime: Runtime, workspace_id: str,
                                collection_id: str) -> int:
    """Every document of the collection, or none while a legal hold covers any of them."""
    holds_service.ensure_collection_deletable(session=session, workspace_id=workspace_id,
                                              collection_id=collection_id)
    ids = list(session.scalars(select(Document.id).where(
        Document.workspace_id == workspace_id, Document.collection_id == collection_id)))
    jobs_service.cancel_document_jobs(session=session, workspace_id=workspace_id,
                                      document_ids=ids)
    for document_id in ids:
        _delete(session=session, runtime=runtime, document=get_document(
            session=session, workspace_id=workspace_id, document_id=document_id))
    return len(ids)


def counts_by_collection(*, session: Session, workspace_id: str) -> dict[str, int]:
    rows = session.execute(
        select(Document.collection_id, func.count())
        .where(Document.workspace_id == workspace_id).group_by(Document.collection_id))
    return {collection_id: count for collection_id, count in rows}
