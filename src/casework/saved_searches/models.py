"""A saved search, and one row per document it alerted about (so never twice)."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, Timestamped, utcnow
from casework.core.ids import new_id


class SavedSearch(Timestamped, Base):
    __tablename__ = "saved_search"
    __table_args__ = (Index("ix_saved_search_workspace", "workspace_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    query: Mapped[str] = mapped_column(String(1000))
    # Only this collection's documents (and its deletion takes the saved search along).
    collection_id: Mapped[str | None] = mapped_column(
        ForeignKey("collection.id", ondelete="CASCADE"), default=None)
    alert_webhook: Mapped[bool] = mapped_column(Boolean, default=False)
    alert_email: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who saved it: e-mail alerts go to this user's address, read when each is sent.
    created_by_user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    created_by_label: Mapped[str | None] = mapped_column(String(320), default=None)


class SavedSearchMatch(Base):
    """A document a saved search alerted about: the unique pair is the at-most-once."""

    __tablename__ = "saved_search_match"
    __table_args__ = (UniqueConstraint("saved_search_id", "document_id",
                                       name="uq_saved_search_match_search_document"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    saved_search_id: Mapped[str] = mapped_column(
        ForeignKey("saved_search.id", ondelete="CASCADE"))
    document_id: Mapped[str] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    matched_at: Mapped[datetime] = mapped_column(default=utcnow)
    by_webhook: Mapped[bool] = mapped_column(Boolean, default=False)
    by_email: Mapped[bool] = mapped_column(Boolean, default=False)
