"""Document API shapes."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from casework.documents.models import Document, DocumentStatus, EmbeddingStatus, PreviewStatus
from casework.mail.schemas import MessageOut
from casework.neardup.schemas import GroupOut
from casework.review.schemas import CodingOut


def _children_count(metadata: dict[str, Any]) -> int:
    container = metadata.get("container")
    if isinstance(container, dict):
        return int(container.get("documents", 0))
    return sum(1 for item in metadata.get("attachments", []) if "document_id" in item)


class DocumentOut(BaseModel):
    id: str
    collection_id: str
    filename: str
    title: str | None
    media_type: str
    size_bytes: int
    sha256: str
    status: DocumentStatus
    embedding_status: EmbeddingStatus = Field(
        description="Vectors follow keyword indexing; semantic search sees the document "
        "once this is 'ready'.")
    preview_status: PreviewStatus = Field(
        default=PreviewStatus.none,
        description="Thumbnails, page images and posters are drawn after the text is "
        "searchable: 'pending' until then, 'none' for types that get no previews.")
    error: str | None
    page_count: int | None
    metadata: dict[str, Any]
    tags: list[str]
    created_at: datetime
    processed_at: datetime | None
    captured_at: datetime | None = Field(
        default=None, description="When the photo or video was taken (EXIF, container), UTC.")
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    parent_document_id: str | None = Field(
        default=None, description="For an e-mail attachment or an archive member: the "
        "document it came in; for a message: its mailbox (.mbox, .pst). GET "
        "/documents/{id}/children lists a container's members.")
    children_count: int = Field(
        default=0, description="Members of this archive or e-mail that became documents.")
    message: MessageOut | None = Field(
        default=None, description="For an e-mail message: its sender, recipients, ids and "
        "thread (docs/mail.md); on GET /documents/{id} only.")
    coding: CodingOut | None = Field(
        default=None, description="Review coding (GET/PATCH /review/documents/{id}); "
        "shown by GET /documents and GET /documents/{id}.")
    near_duplicates: GroupOut | None = Field(
        default=None, description="GET /documents/{id} only: the document's near-duplicate "
        "group (GET /near-duplicates), null when it has none.")

    @classmethod
    def build(cls, document: Document, tags: list[str],
              coding: CodingOut | None = None) -> "DocumentOut":
        return cls(
            id=document.id, collection_id=document.collection_id, filename=document.filename,
            title=document.title, media_type=document.media_type,
            size_bytes=document.size_bytes, sha256=document.sha256, status=document.status,
            embedding_status=document.embedding_status,
            preview_status=document.preview_status, error=document.error,
            page_count=document.page_count, metadata=document.metadata_json or {},
            tags=tags, created_at=document.created_at, processed_at=document.processed_at,
            captured_at=document.captured_at, width=document.width, height=document.height,
            duration_seconds=document.duration_seconds,
            parent_document_id=document.parent_document_id, coding=coding,
            children_count=_children_count(document.metadata_json or {}))


class UploadedDocument(BaseModel):
    document: DocumentOut
    duplicate: bool = Field(description="True when the same bytes were already in the "
                            "workspace: this is the existing document.")


class UploadResponse(BaseModel):
    batch_id: str = Field(description="The upload batch: its progress and failures are at "
                          "/api/v1/ingest-batches/{batch_id}.")
    documents: list[UploadedDocument]


class PageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    number: int
    text: str


class TagsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tags: list[str] = Field(max_length=50)


class TagsOut(BaseModel):
    tags: list[str]
