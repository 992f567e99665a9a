"""Share link table: one row per link; the token itself is never stored."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, utcnow
from casework.core.ids import new_id


class ShareTarget(StrEnum):
    document = "document"
    collection = "collection"  # every document of the collection
    gallery = "gallery"  # the collection's photos and videos only


class ShareLink(Base):
    """Only the SHA-256 of the token is kept (256 random bits, like an API key's secret, so a
    fast hash is enough); `prefix` names the link in lists and the audit log.

    The target is a real foreign key (`document_id` for a document, `collection_id` for a
    collection or gallery) with ON DELETE CASCADE: deleting what was shared deletes its
    links, so a link can never come to point at something else.
    """

    __tablename__ = "share_link"
    __table_args__ = (Index("ix_share_link_workspace_created", "workspace_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    target_type: Mapped[ShareTarget] = mapped_column(String(16))
    document_id: Mapped[str | None] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), index=True, default=None)
    collection_id: Mapped[str | None] = mapped_column(
        ForeignKey("collection.id", ondelete="CASCADE"), index=True, default=None)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    allow_download: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str | None] = mapped_column(String(32), default=None)
    created_by_label: Mapped[str | None] = mapped_column(String(320), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    # Audited views (one per visitor and item per window, as `share.view` events).
    view_count: Mapped[int] = mapped_column(Integer, default=0)
    last_viewed_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def target_id(self) -> str:
        return (self.document_id if self.target_type == ShareTarget.document
                else self.collection_id) or ""
