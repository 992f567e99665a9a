"""A legal hold: what it preserves (a collection or a custodian's documents), why, who
placed it and when, and, once released, who released it, when and why. Released holds
are kept: the hold's history is part of the matter's record."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, utcnow
from casework.core.ids import new_id


class HoldScope:
    collection = "collection"
    custodian = "custodian"


class LegalHold(Base):
    __tablename__ = "legal_hold"
    __table_args__ = (Index("ix_legal_hold_workspace_released", "workspace_id",
                            "released_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    matter: Mapped[str] = mapped_column(String(1000))  # the matter, or the reason for the hold
    scope: Mapped[str] = mapped_column(String(16))  # HoldScope
    # A held collection cannot be deleted; SET NULL only once a released hold outlives it.
    collection_id: Mapped[str | None] = mapped_column(
        ForeignKey("collection.id", ondelete="SET NULL"), default=None)
    # The collection's name when the hold was placed, or the custodian as written.
    target_label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    created_by_label: Mapped[str | None] = mapped_column(String(320), default=None)
    released_at: Mapped[datetime | None] = mapped_column(default=None)
    released_by_user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    released_by_label: Mapped[str | None] = mapped_column(String(320), default=None)
    release_reason: Mapped[str | None] = mapped_column(String(1000), default=None)

    @property
    def active(self) -> bool:
        return self.released_at is None
