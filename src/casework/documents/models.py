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
    text,
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


# Conditions of the partial indexes the ingest progress panel reads (progress/), spelled
# once: a planner uses a partial index only when the query's WHERE holds the same
# condition, and SQLite compares a function's arguments as written (a bound JSON path in
# the query never matches), so the queries use these very texts or literal values.
FAILING_SQL = "status = 'failed' OR embedding_status = 'failed' OR preview_status = 'failed'"
OCR_STATUS_SQL = {"sqlite": "json_extract(metadata, '$.ocr.status')",
                  "postgresql": "(metadata #>> '{ocr,status}')"}


class Document(Timestamped, Base):
    __tablename__ = "document"
    # Deduplication is a constraint, not a check-then-insert race.
    __table_args__ = (
        UniqueConstraint("workspace_id", "sha256"),
        # A collection's documents newest first, ties by id: in the index's own order, so
        # a deep page skips its offset in the index without reading those rows.
        Index("ix_document_workspace_collection_created", "workspace_id", "collection_id",
              "created_at", "id"),
        # The gallery pages through a collection by capture time (keyset on captured_at, id).
        Index("ix_document_gallery", "workspace_id", "collection_id", "captured_at", "id"),
        # A workspace's documents in one state, in id order: the near-duplicate backfill
        # walks its ready documents by keyset on id (neardup/backfill.py); without it each
        # batch sorted all of them (200 batches of 100,000 documents: 25 s, not 5).
        Index("ix_document_workspace_status_id", "workspace_id", "status", "id"),
        # Ingest progress (progress/service.py) at case size without reading the rows: the
        # counts by state and stage (and the backlog's age) from this index alone...
        Index("ix_document_stages", "workspace_id", "collection_id", "status",
              "preview_status", "embedding_status", "created_at"),
        # ... when the ready documents finished (the recent ones, the last one) by a seek;
        # partial, so no other listing of a collection mistakes it for its own index...
        Index("ix_document_ready", "workspace_id", "collection_id", "processed_at",
              "created_at", sqlite_where=text("status = 'ready'"),
              postgresql_where=text("status = 'ready'")),
        # ... the failing few, in the failures list's order...
        Index("ix_document_failing", "workspace_id", "collection_id", "filename", "id",
              sqlite_where=text(FAILING_SQL), postgresql_where=text(FAILING_SQL)),
        # ... and the documents that needed OCR (their status is in the metadata JSON).
        Index("ix_document_ocr", "workspace_id", "collection_id",
              sqlite_where=text(f"{OCR_STATUS_SQL['sqlite']} IS NOT NULL"),
              postgresql_where=text(f"{OCR_STATUS_SQL['postgresql']} IS NOT NULL")),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    collection_id: Mapped[str] = mapped_column(ForeignKey("collection.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(127))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # For the custody record, computed with sha256 while the upload streams in; NULL for
    # documents stored before they were kept until `casework custody backfill` reads them.
    md5: Mapped[str | None] = mapped_column(String(32), default=None)
    sha1: Mapped[str | None] = mapped_column(String(40), default=None)
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
