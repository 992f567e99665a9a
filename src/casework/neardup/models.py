"""Near-duplicate tables: each document's MinHash signature and group, and its LSH bands."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, utcnow


class DocumentSignature(Base):
    """A document's signature and near-duplicate group (None: no near-duplicate yet)."""

    __tablename__ = "document_signature"
    __table_args__ = (
        Index("ix_document_signature_group", "workspace_id", "group_id"),
        # The grouped few (the near-duplicates page reads only them): most documents have
        # no group, so ANALYZE finds the full index useless and the page scanned every
        # signature of the case; this one holds only the grouped rows (docs/review.md).
        Index("ix_document_signature_grouped", "workspace_id", "group_id",
              sqlite_where=text("group_id IS NOT NULL"),
              postgresql_where=text("group_id IS NOT NULL")),
    )

    document_id: Mapped[str] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)  # None: too short
    words: Mapped[int] = mapped_column(Integer, default=0)  # length, for choosing the pivot
    group_id: Mapped[str | None] = mapped_column(String(32), default=None)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignatureBand(Base):
    """One LSH band of a signature: documents sharing a key are candidates."""

    __tablename__ = "signature_band"
    # The band key first: candidates are looked up by key (and workspace), and a delete
    # of one document's bands then takes the primary key, not a scan of the workspace's.
    __table_args__ = (Index("ix_signature_band_key", "band_key", "workspace_id"),)

    document_id: Mapped[str] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), primary_key=True)
    band_key: Mapped[str] = mapped_column(String(24), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
