"""Media API shapes: gallery items and pages."""

from datetime import datetime

from pydantic import BaseModel, Field

from casework.documents.models import Document, DocumentStatus
from casework.media import thumbnails


class GalleryItem(BaseModel):
    id: str
    filename: str
    media_type: str
    status: DocumentStatus
    captured_at: datetime | None = Field(description="From EXIF or the video's creation "
                                         "time, in UTC; null when the file does not say.")
    uploaded_at: datetime
    width: int | None
    height: int | None
    duration_seconds: float | None
    thumbnail_url: str | None = Field(description="320 px WebP; null until processed.")
    preview_url: str | None = Field(description="Up to 1280 px (a JPEG photo's preview is "
                                    "its reduced decode, 1000-1280 px: 1000 for 12 MP): "
                                    "JPEG for photos, else WebP; null until processed.")

    @classmethod
    def build(cls, document: Document) -> "GalleryItem":
        sizes = (document.metadata_json or {}).get("thumbnails") or []
        base = f"/api/v1/documents/{document.id}/thumbnail?size="
        return cls(
            id=document.id, filename=document.filename, media_type=document.media_type,
            status=document.status, captured_at=document.captured_at,
            uploaded_at=document.created_at, width=document.width, height=document.height,
            duration_seconds=document.duration_seconds,
            thumbnail_url=f"{base}{thumbnails.GRID}" if thumbnails.GRID in sizes else None,
            preview_url=f"{base}{thumbnails.PREVIEW}" if thumbnails.PREVIEW in sizes else None)


class GalleryPageOut(BaseModel):
    items: list[GalleryItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null "
                                    "on the last page.")
