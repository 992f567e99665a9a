"""The export table: one row per requested archive, its progress, and where it is kept."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, Timestamped
from casework.core.ids import new_id


class ExportStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class ExportPart(StrEnum):
    """What an export may hold (`include`)."""

    originals = "originals"
    text = "text"
    metadata = "metadata"
    report = "report"


class Export(Timestamped, Base):
    """Deleted with its collection (cascade; the service removes the archive first) and by
    the retention job once older than EXPORT_RETENTION_DAYS."""

    __tablename__ = "export"
    __table_args__ = (
        Index("ix_export_workspace_collection", "workspace_id", "collection_id", "created_at"),
        Index("ix_export_created", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    collection_id: Mapped[str] = mapped_column(ForeignKey("collection.id", ondelete="CASCADE"))
    # Who asked: kept as text, not a foreign key, so an export outlives its requester's
    # account until retention removes it.
    requested_by_user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    requested_by_label: Mapped[str | None] = mapped_column(String(320), default=None)
    include: Mapped[list[str]] = mapped_column(JSON, default=list)
    strip_gps: Mapped[bool] = mapped_column(default=False)
    # A selection (gallery photos): these documents only; None is the whole collection.
    document_ids: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    status: Mapped[ExportStatus] = mapped_column(String(16), default=ExportStatus.queued)
    job_id: Mapped[int | None] = mapped_column(Integer, default=None)
    files_total: Mapped[int] = mapped_column(Integer, default=0)
    files_done: Mapped[int] = mapped_column(Integer, default=0)
    bytes_total: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    blob_key: Mapped[str | None] = mapped_column(String(300), default=None)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, default=None)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    key_fingerprint: Mapped[str | None] = mapped_column(String(80), default=None)
    # Documents left out and why, e.g. a photo whose GPS position could not be removed.
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
