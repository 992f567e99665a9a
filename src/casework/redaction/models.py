"""Redactions, a workspace's own redaction reasons, and the redacted copies produced.

A redaction keeps its reason as text, not as a reference: deleting a reason from the
workspace's list must not change what the log says an earlier redaction was for.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, utcnow
from casework.core.ids import new_id


class RedactionReason(Base):
    """A reason a workspace added beside the built-in ones (redaction/reasons.py)."""

    __tablename__ = "redaction_reason"
    __table_args__ = (Index("ix_redaction_reason_workspace", "workspace_id", "label",
                            unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Redaction(Base):
    """One box on one page: normalised 0..1 coordinates, origin at the top left of the page
    as shown (the page preview's frame)."""

    __tablename__ = "redaction"
    __table_args__ = (Index("ix_redaction_document", "workspace_id", "document_id", "page"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    document_id: Mapped[str] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    page: Mapped[int] = mapped_column(Integer)
    x0: Mapped[float] = mapped_column(Float)
    y0: Mapped[float] = mapped_column(Float)
    x1: Mapped[float] = mapped_column(Float)
    y1: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(120))
    # "region" (drawn) or "search" (an accepted search hit: which preset or list found it).
    source: Mapped[str] = mapped_column(String(16), default="region")
    found_by: Mapped[str | None] = mapped_column(String(120), default=None)
    created_by_user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    created_by_label: Mapped[str | None] = mapped_column(String(320), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RedactedCopy(Base):
    """The latest redacted copy of a document: its blob, and the check of it."""

    __tablename__ = "redacted_copy"
    __table_args__ = (Index("ix_redacted_copy_document", "workspace_id", "document_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    document_id: Mapped[str] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    blob_key: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    page_count: Mapped[int] = mapped_column(Integer)
    redacted_pages: Mapped[list[int]] = mapped_column(JSON, default=list)
    redaction_count: Mapped[int] = mapped_column(Integer)
    # Digest of the redactions it was drawn from: a copy whose fingerprint differs from the
    # document's current redactions is stale.
    fingerprint: Mapped[str] = mapped_column(String(64))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    verification: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    created_by_label: Mapped[str | None] = mapped_column(String(320), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
