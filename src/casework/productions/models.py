"""The production table: one row per requested production set, its numbering and result."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, Timestamped
from casework.core.ids import new_id


class ProductionStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class StampPosition(StrEnum):
    bottom_right = "bottom-right"
    bottom_centre = "bottom-centre"
    bottom_left = "bottom-left"
    top_right = "top-right"
    top_centre = "top-centre"
    top_left = "top-left"


class NativePolicy(StrEnum):
    """Which documents go out in their original form (under NATIVES/, a slip sheet in the
    images) rather than imaged; privileged, redacted and container documents never do
    (productions/natives.py)."""

    none = "none"
    spreadsheets_and_media = "spreadsheets_and_media"
    all = "all"


class FamilyPolicy(StrEnum):
    """Whether a selected document brings its family along (productions/families.py):
    `complete`, as e-discovery practice produces, or only what was selected."""

    complete = "complete"
    as_selected = "as_selected"


class Production(Timestamped, Base):
    """What to produce (the selection, resolved to `document_ids` in production order when
    it was asked for, so a retry or a re-run numbers the same documents) and the result."""

    __tablename__ = "production"
    __table_args__ = (Index("ix_production_workspace_created", "workspace_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    # How the documents were chosen (collection, listed ids, or a search, and `families`:
    # the policy and how many members it added), for the record.
    selection: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    document_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    bates_prefix: Mapped[str] = mapped_column(String(20))
    start_number: Mapped[int] = mapped_column(BigInteger)
    digits: Mapped[int] = mapped_column(Integer)
    stamp_position: Mapped[str] = mapped_column(String(16))
    legend: Mapped[str | None] = mapped_column(String(80), default=None)
    volume: Mapped[str] = mapped_column(String(40))
    natives: Mapped[str] = mapped_column(String(32), default=NativePolicy.none.value,
                                         server_default=NativePolicy.none.value)
    requested_by_user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    requested_by_label: Mapped[str | None] = mapped_column(String(320), default=None)
    status: Mapped[ProductionStatus] = mapped_column(String(16),
                                                     default=ProductionStatus.queued)
    job_id: Mapped[int | None] = mapped_column(Integer, default=None)
    documents_done: Mapped[int] = mapped_column(Integer, default=0)
    produced_count: Mapped[int] = mapped_column(Integer, default=0)
    withheld_count: Mapped[int] = mapped_column(Integer, default=0)
    native_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    first_bates: Mapped[str | None] = mapped_column(String(40), default=None)
    last_bates: Mapped[str | None] = mapped_column(String(40), default=None)
    blob_key: Mapped[str | None] = mapped_column(String(300), default=None)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, default=None)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def families(self) -> str:
        """The family policy it was asked with (kept in `selection`); productions from
        before the policy existed were as selected."""
        chosen = (self.selection or {}).get("families") or {}
        return str(chosen.get("policy", FamilyPolicy.as_selected.value))
