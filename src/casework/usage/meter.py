"""Count searches in memory and write them out at most every few seconds.

A write per search would put a write transaction on the hot path (and on SQLite, behind the
single writer). Counters are added to in memory and flushed as one upsert per workspace-day
when FLUSH_SECONDS have passed, and at shutdown; a crash loses at most those seconds.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from casework.core.database import transaction, utcnow
from casework.usage.models import UsageDay

FLUSH_SECONDS = 10.0


class UsageMeter:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0])
        self._last_flush = time.monotonic()

    def record_query(self, workspace_id: str, took_ms: float) -> None:
        day = utcnow().strftime("%Y-%m-%d")
        with self._lock:
            entry = self._pending[(workspace_id, day)]
            entry[0] += 1
            entry[1] += took_ms
            due = time.monotonic() - self._last_flush >= FLUSH_SECONDS
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, defaultdict(lambda: [0, 0.0])
            self._last_flush = time.monotonic()
        if not pending:
            return
        with transaction(self._sessions) as session:
            for (workspace_id, day), (count, total_ms) in pending.items():
                row = session.scalars(select(UsageDay).where(
                    UsageDay.workspace_id == workspace_id, UsageDay.day == day)).first()
                if row is None:
                    session.add(UsageDay(workspace_id=workspace_id, day=day,
                                         queries=int(count), query_ms_total=total_ms))
                else:
                    row.queries += int(count)
                    row.query_ms_total += total_ms
