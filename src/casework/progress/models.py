"""Upload batches: one row per upload request or `casework ingest` run, and which documents
it brought. A table of its own (not a column on `document`): SQLite must never rebuild
`document`, and a document that arrives twice belongs to two batches."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, utcnow
from casework.core.ids import new_id


class IngestBatch(Base):
    __tablename__ = "ingest_batch"
    __table_args__ = (Index("ix_ingest_batch_collection", "workspace_id", "collection_id",
                            "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    collection_id: Mapped[str] = mapped_column(ForeignKey("collection.id", ondelete="CASCADE"))
    via: Mapped[str] = mapped_column(String(16))  # "api" (an upload) or "cli"
    created_by_user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    created_by_api_key_id: Mapped[str | None] = mapped_column(String(32), default=None)
    created_by_label: Mapped[str | None] = mapped_column(String(320), default=None)
    # Files offered, as counted when the batch opened (refused ones included).
    file_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IngestBatchDocument(Base):
    """A document a batch brought: new, or a duplicate of one stored before."""

    __tablename__ = "ingest_batch_document"
    __table_args__ = (Index("ix_ingest_batch_document_document", "document_id"),)

    batch_id: Mapped[str] = mapped_column(ForeignKey("ingest_batch.id", ondelete="CASCADE"),
                                          primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"),
                                             primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
