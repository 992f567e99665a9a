"""Review tables: a document's coding, the workspace's issues, and the coding history."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, Timestamped, utcnow
from casework.core.ids import new_id

RESPONSIVENESS = ("responsive", "not_responsive", "needs_further_review")


class DocumentCoding(Base):
    """One row per coded document (an uncoded document has none): the reviewers' calls."""

    __tablename__ = "document_coding"

    document_id: Mapped[str] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    # One of RESPONSIVENESS, or None while nobody has decided.
    responsiveness: Mapped[str | None] = mapped_column(String(24), default=None, index=True)
    privileged: Mapped[bool] = mapped_column(Boolean, default=False)
    privilege_basis: Mapped[str | None] = mapped_column(String(500), default=None)
    hot: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(320), default=None)


class ReviewIssue(Timestamped, Base):
    """An issue tag of the workspace's review (its own list, managed apart from tags)."""

    __tablename__ = "review_issue"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))


class DocumentIssue(Base):
    __tablename__ = "document_issue"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    document_id: Mapped[str] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), primary_key=True)
    issue_id: Mapped[str] = mapped_column(
        ForeignKey("review_issue.id", ondelete="CASCADE"), primary_key=True, index=True)


class CodingChange(Base):
    """One field of one document changed: who, when, from what to what. Only added to."""

    __tablename__ = "coding_change"
    __table_args__ = (Index("ix_coding_change_document", "document_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(Text, default=None)
    new_value: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    actor_api_key_id: Mapped[str | None] = mapped_column(String(32), default=None)
    actor_label: Mapped[str | None] = mapped_column(String(320), default=None)
    # Set when the change came from a batch coding: its audit event names the same id.
    batch_id: Mapped[str | None] = mapped_column(String(32), default=None)
