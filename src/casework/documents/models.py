"""Document and page tables."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, Timestamped
from casework.core.ids import new_id


class DocumentStatus(StrEnum):
    queued = "queued"
    processing = "processing"
    ready = "ready"
    failed = "failed"


class EmbeddingStatus(StrEnum):
    """Vectors follow keyword indexing in a lower-priority stage (see PRODUCT.md)."""

    pending = "pending"
    ready = "ready"
    failed = "failed"
    skipped = "skipped"


class PreviewStatus(StrEnum):
    """Thumbnails, posters and page images follow the text in a job of their own, so a
    document is searchable before any picture of it is drawn (ingest/previews.py)."""

    pending = "pending"
    ready = "ready"
    failed = "failed"
    none = "none"  # this media type gets no previews (text, office files, e-mail...)


class Document(Timestamped, Base):
    __tablename__ = "document"
    # Deduplication is a constraint, not a check-then-insert race.
    __table_args__ = (
        UniqueConstraint("workspace_id", "sha256"),
        Index("ix_document_workspace_collection_created", "workspace_id", "collection_id",
              "created_at"),
        # The gallery pages through a collection by capture time (keyset on captured_at, id).
        Index("ix_document_gallery", "workspace_id", "collection_id", "captured_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    collection_id: Mapped[str] = mapped_column(ForeignKey("collection.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(127))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[DocumentStatus] = mapped_column(String(16), default=DocumentStatus.queued)
    embedding_status: Mapped[EmbeddingStatus] = mapped_column(
        String(16), default=EmbeddingStatus.pending
    )
    preview_status: Mapped[PreviewStatus] = mapped_column(
        String(16), default=PreviewStatus.none, server_default=PreviewStatus.none.value)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    title: Mapped[str | None] = mapped_column(String(500), default=None)
    page_count: Mapped[int | None] = mapped_column(Integer, default=None)
    # Which chunker wrote the document's chunks (search.chunking.CHUNKER_VERSION); older
    # ones are re-chunked by a background job. Rows from before the column were version 1.
    chunker_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    metadata_json: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Media facts in columns, not only in metadata: the gallery sorts and filters on them.
    captured_at: Mapped[datetime | None] = mapped_column(default=None)
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    duration_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    # An e-mail attachment points at its message. No foreign key on purpose: SQLite can
    # only drop a column that no constraint uses, and a migration must downgrade.
    parent_document_id: Mapped[str | None] = mapped_column(String(32), default=None,
                                                           index=True)


class DocumentPage(Base):
    """Extracted text of one page (1-based); a document without pages has one page."""

    __tablename__ = "document_page"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    document_id: Mapped[str] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
