"""Search filters as SQL conditions on chunks, shared by every search mode."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select

from casework.documents.models import Document
from casework.entities.models import EntityMention
from casework.notes.models import Note
from casework.review.models import DocumentCoding, DocumentIssue, ReviewIssue
from casework.search.models import Chunk
from casework.tags.models import DocumentTag, NoteTag, Tag

NOTE_MEDIA_TYPE = "note"


@dataclass(frozen=True, slots=True)
class SearchFilters:
    collection_id: str | None = None
    tag: str | None = None
    media_type: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    # Only these documents' passages (asking about a selection of documents).
    document_ids: tuple[str, ...] | None = None
    # Only passages of documents that mention this entity (notes have no mentions).
    entity_id: str | None = None
    # Review coding (review/): documents only, notes have no coding. `responsiveness` is
    # one of review.models.RESPONSIVENESS or "uncoded"; `issue` an issue's name.
    responsiveness: str | None = None
    privileged: bool | None = None
    hot: bool | None = None
    issue: str | None = None

    @property
    def coding(self) -> bool:
        return any(v is not None for v in (self.responsiveness, self.privileged, self.hot,
                                           self.issue))

    @property
    def any(self) -> bool:
        return self.coding or any(v is not None for v in (
            self.collection_id, self.tag, self.media_type, self.created_after,
            self.created_before, self.document_ids, self.entity_id))


def scoped_chunks(query: Select, *, workspace_id: str, filters: SearchFilters) -> Select:
    """Restrict a query over `Chunk` to one workspace and the filters.

    The workspace condition is always applied; it is the only way chunks are searched.
    """
    query = query.where(Chunk.workspace_id == workspace_id)
    if not filters.any:
        return query
    query = query.outerjoin(Document, Document.id == Chunk.document_id).outerjoin(
        Note, Note.id == Chunk.note_id
    )
    if filters.collection_id is not None:
        query = query.where(
            func.coalesce(Document.collection_id, Note.collection_id) == filters.collection_id
        )
    if filters.document_ids is not None:
        query = query.where(Chunk.document_id.in_(filters.document_ids))
    if filters.entity_id is not None:
        query = query.where(Chunk.document_id.in_(
            select(EntityMention.document_id).where(
                EntityMention.workspace_id == workspace_id,
                EntityMention.entity_id == filters.entity_id)))
    if filters.media_type is not None:
        if filters.media_type == NOTE_MEDIA_TYPE:
            query = query.where(Chunk.note_id.is_not(None))
        else:
            query = query.where(Document.media_type == filters.media_type)
    if filters.created_after is not None:
        query = query.where(
            func.coalesce(Document.created_at, Note.created_at) >= filters.created_after
        )
    if filters.created_before is not None:
        query = query.where(
            func.coalesce(Document.created_at, Note.created_at) < filters.created_before
        )
    if filters.coding:
        query = _coded(query, workspace_id=workspace_id, filters=filters)
    if filters.tag is not None:
        tag_ids = select(Tag.id).where(Tag.workspace_id == workspace_id,
                                       Tag.name == filters.tag.lower())
        query = query.where(or_(
            Chunk.document_id.in_(
                select(DocumentTag.document_id).where(DocumentTag.tag_id.in_(tag_ids))),
            Chunk.note_id.in_(select(NoteTag.note_id).where(NoteTag.tag_id.in_(tag_ids))),
        ))
    return query


def _coded(query: Select, *, workspace_id: str, filters: SearchFilters) -> Select:
    """Passages of documents coded as the filters say ("responsive and not privileged").
    An uncoded document has no coding row: it is not privileged, not hot, "uncoded"."""
    query = query.where(Chunk.document_id.is_not(None))
    codings = select(DocumentCoding.document_id).where(
        DocumentCoding.workspace_id == workspace_id)
    if filters.responsiveness == "uncoded":
        query = query.where(Chunk.document_id.not_in(
            codings.where(DocumentCoding.responsiveness.is_not(None))))
    elif filters.responsiveness is not None:
        query = query.where(Chunk.document_id.in_(
            codings.where(DocumentCoding.responsiveness == filters.responsiveness)))
    for flag, column in ((filters.privileged, DocumentCoding.privileged),
                         (filters.hot, DocumentCoding.hot)):
        if flag is True:
            query = query.where(Chunk.document_id.in_(codings.where(column.is_(True))))
        elif flag is False:
            query = query.where(Chunk.document_id.not_in(codings.where(column.is_(True))))
    if filters.issue is not None:
        query = query.where(Chunk.document_id.in_(
            select(DocumentIssue.document_id).join(
                ReviewIssue, ReviewIssue.id == DocumentIssue.issue_id).where(
                ReviewIssue.workspace_id == workspace_id,
                func.lower(ReviewIssue.name) == filters.issue.lower())))
    return query
