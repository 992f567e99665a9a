"""Per-day usage counters (usage/meter.py writes them, usage/service.py reads them).

Every table is keyed by workspace and UTC day and only ever incremented (upserts), so
several server processes can add to the same day without losing each other's counts.
"""

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base


class UsageDay(Base):
    __tablename__ = "usage_day"

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, UTC
    queries: Mapped[int] = mapped_column(Integer, default=0)
    query_ms_total: Mapped[float] = mapped_column(default=0.0)


class UsageSearchLatency(Base):
    """A histogram of search response times: searches per bucket of 2^(1/4) ms (a bucket's
    upper edge is 19 % above its lower one). A day costs a few dozen rows whatever the
    traffic, where a row per search would be millions; p95 is read to within a bucket."""

    __tablename__ = "usage_search_latency"

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    searches: Mapped[int] = mapped_column(Integer, default=0)


class UsageTerm(Base):
    """How often a search term was used on a day, and by how many people, roughly.

    `people` is a 63-bit set: each searcher sets the one bit a keyed hash of their id
    picks. Its bit count never exceeds the number of different searchers (two may share a
    bit), so a threshold on it errs on the side of hiding a term; the bits do not say who.
    """

    __tablename__ = "usage_term"

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    term: Mapped[str] = mapped_column(String(40), primary_key=True)
    searches: Mapped[int] = mapped_column(Integer, default=0)
    people: Mapped[int] = mapped_column(BigInteger, default=0)


class UsageActiveUser(Base):
    """A user who made an authenticated request that day (API or web), once."""

    __tablename__ = "usage_active_user"

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    # No foreign key: a deleted account leaves an id that names no one, and the day's
    # count stays what it was.
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
