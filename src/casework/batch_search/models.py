"""A batch search: its terms as uploaded, its state, and once run each term's counts."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, utcnow
from casework.core.ids import new_id


class BatchStatus:
    queued = "queued"
    running = "running"
    ready = "ready"
    failed = "failed"


class BatchSearch(Base):
    __tablename__ = "batch_search"
    __table_args__ = (Index("ix_batch_search_workspace_created", "workspace_id",
                            "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))  # the uploaded file's name
    collection_id: Mapped[str | None] = mapped_column(
        ForeignKey("collection.id", ondelete="SET NULL"), default=None)
    status: Mapped[str] = mapped_column(String(16), default=BatchStatus.queued)
    # [{"term", "label"}], in the file's order.
    terms: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # [{"term", "label", "documents", "unique", "document_ids"}] once ready; document_ids
    # lists at most MAX_LISTED_DOCUMENTS per term (the counts are exact).
    results: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    documents_hit: Mapped[int | None] = mapped_column(Integer, default=None)  # any term
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_by_user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    created_by_label: Mapped[str | None] = mapped_column(String(320), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
