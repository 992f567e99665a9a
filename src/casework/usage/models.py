"""Per-day usage counters."""

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base


class UsageDay(Base):
    __tablename__ = "usage_day"

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, UTC
    queries: Mapped[int] = mapped_column(Integer, default=0)
    query_ms_total: Mapped[float] = mapped_column(default=0.0)
