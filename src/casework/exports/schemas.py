"""Export API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, field_validator

from casework.core.settings import Settings
from casework.exports.links import DownloadLink
from casework.exports.models import Export, ExportPart, ExportStatus
from casework.exports.service import MAX_SELECTION, expires_at

DocumentId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ExportCreate(BaseModel):
    include: list[ExportPart] = Field(
        default_factory=lambda: list(ExportPart), min_length=1, max_length=len(ExportPart),
        description="What the ZIP holds: originals (byte for byte), text (extracted, per "
        "document), metadata (JSON and CSV), report (the case report, when one exists).")
    strip_gps: bool = Field(
        default=False, description="Remove photos' GPS position (EXIF and XMP) in the "
        "exported copy; such a file is no longer byte-identical and the manifest gives the "
        "original's SHA-256 too. A file whose position cannot be removed is left out.")
    document_ids: list[DocumentId] | None = Field(
        default=None, max_length=MAX_SELECTION,
        description="Only these documents of the collection (a gallery selection); "
        "omitted: the whole collection.")

    @field_validator("include")
    @classmethod
    def _once_each(cls, value: list[ExportPart]) -> list[ExportPart]:
        if len(set(value)) != len(value):
            raise ValueError("name each part once")
        return value


class ExportProgress(BaseModel):
    files_done: int
    files_total: int
    bytes_done: int = Field(description="Bytes of originals written so far.")
    bytes_total: int
    fraction: float = Field(ge=0, le=1)


class ExportOut(BaseModel):
    id: str
    collection_id: str
    status: ExportStatus
    include: list[ExportPart]
    strip_gps: bool
    selection: int | None = Field(
        description="How many documents were selected; null for a whole collection.")
    progress: ExportProgress
    size_bytes: int | None
    sha256: str | None = Field(description="SHA-256 of the whole ZIP, to check a download.")
    key_fingerprint: str | None = Field(
        description="The signing key of its manifest (GET /api/v1/exports/public-key).")
    warnings: list[dict[str, Any]] = Field(
        description="Documents left out, each with the reason.")
    error: str | None
    requested_by: str | None
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime = Field(description="When it will be removed (retention).")
    download_url: str | None = Field(
        description="A link that works without a session until download_expires_at.")
    download_expires_at: datetime | None

    @classmethod
    def build(cls, export: Export, *, settings: Settings,
              link: DownloadLink | None) -> ExportOut:
        total = export.files_total + export.bytes_total
        done = export.files_done + export.bytes_done
        fraction = 1.0 if export.status == ExportStatus.succeeded else (
            min(done / total, 0.99) if total else 0.0)
        return cls(
            id=export.id, collection_id=export.collection_id, status=export.status,
            include=[ExportPart(p) for p in export.include], strip_gps=export.strip_gps,
            selection=len(export.document_ids) if export.document_ids is not None else None,
            progress=ExportProgress(files_done=export.files_done,
                                    files_total=export.files_total,
                                    bytes_done=export.bytes_done,
                                    bytes_total=export.bytes_total, fraction=fraction),
            size_bytes=export.size_bytes, sha256=export.sha256,
            key_fingerprint=export.key_fingerprint, warnings=list(export.warnings or []),
            error=export.error, requested_by=export.requested_by_label,
            created_at=export.created_at, finished_at=export.finished_at,
            expires_at=expires_at(export, settings),
            download_url=link.url if link else None,
            download_expires_at=link.expires_at if link else None)


class PublicKeyOut(BaseModel):
    algorithm: str
    fingerprint: str
    public_key_pem: str
