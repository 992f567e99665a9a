"""What an open share link exposes, and nothing more.

Every read a public page makes goes through here with the link: the workspace is the
link's, the collection is the link's, and a document is served only when the link covers
it (the shared document itself; a document of the shared collection; a photo or video of
the shared gallery). Anything else, whatever id is asked for, is "not found".
"""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from casework.collections.models import Collection
from casework.core.errors import NotFound
from casework.core.scoping import find_scoped, get_scoped
from casework.documents import service as documents_service
from casework.documents.models import Document, DocumentPage
from casework.media import service as media_service
from casework.media.service import GalleryPage, GallerySort
from casework.shares.models import ShareLink, ShareTarget

GALLERY_TYPES = media_service.GALLERY_TYPES


def covers(link: ShareLink, document: Document) -> bool:
    """Whether the link shares this document (already known to be of its workspace)."""
    if link.target_type == ShareTarget.document:
        return document.id == link.document_id
    if document.collection_id != link.collection_id:
        return False
    return link.target_type == ShareTarget.collection or \
        document.media_type.startswith(GALLERY_TYPES)


def shared_document(*, session: Session, link: ShareLink, document_id: str) -> Document:
    document = find_scoped(session, Document, link.workspace_id, document_id)
    if document is None or not covers(link, document):
        raise NotFound("this link does not share that document")
    return document


def root_document(*, session: Session, link: ShareLink) -> Document:
    """The document of a document link."""
    return shared_document(session=session, link=link, document_id=link.document_id or "")


def shared_collection(*, session: Session, link: ShareLink) -> Collection:
    """The collection a collection or gallery link shares; for a document link, the
    document's collection (its name is shown beside the title)."""
    collection_id = link.collection_id
    if link.target_type == ShareTarget.document:
        collection_id = root_document(session=session, link=link).collection_id
    return get_scoped(session, Collection, link.workspace_id, collection_id or "",
                      noun="collection")


def list_documents(*, session: Session, link: ShareLink, limit: int,
                   offset: int) -> tuple[list[Document], int]:
    """A collection link's documents, newest first."""
    if link.target_type != ShareTarget.collection:
        raise NotFound("this link does not share a collection")
    return documents_service.list_documents(
        session=session, workspace_id=link.workspace_id,
        filters=documents_service.DocumentFilters(collection_id=link.collection_id),
        limit=limit, offset=offset)


def list_gallery(*, session: Session, link: ShareLink, limit: int,
                 cursor: str | None) -> GalleryPage:
    """A gallery link's photos and videos, newest capture first (as the gallery API)."""
    if link.target_type != ShareTarget.gallery:
        raise NotFound("this link does not share a gallery")
    return media_service.list_gallery(
        session=session, workspace_id=link.workspace_id, collection_id=link.collection_id or "",
        sort=GallerySort.captured_at, descending=True, limit=limit, cursor=cursor)


def list_pages(*, session: Session, link: ShareLink, document: Document,
               limit: int) -> list[DocumentPage]:
    """The text of a document the link covers (the caller got it from `shared_document`)."""
    if not covers(link, document):
        raise NotFound("this link does not share that document")
    return documents_service.list_pages(session=session, workspace_id=link.workspace_id,
                                        document_id=document.id, limit=limit, offset=0)


def count_gallery(*, session: Session, link: ShareLink) -> tuple[int, int]:
    """How many photos and videos a gallery link shows."""
    is_photo = Document.media_type.startswith("image/")
    rows = session.execute(
        select(is_photo, func.count()).where(
            Document.workspace_id == link.workspace_id,
            Document.collection_id == link.collection_id,
            or_(*(Document.media_type.startswith(prefix) for prefix in GALLERY_TYPES)))
        .group_by(is_photo))
    counts = {bool(photo): count for photo, count in rows}
    return counts.get(True, 0), counts.get(False, 0)
