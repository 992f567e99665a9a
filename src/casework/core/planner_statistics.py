"""Keep SQLite's query-planner statistics (ANALYZE) in step with the data.

Without statistics SQLite guesses that `chunk.workspace_id = ?` selects ~10 rows, so for
searches it walks the workspace's whole chunk index and probes each row, instead of
starting from the FTS5 matches or the ANN hits: at 100,000 chunks that turned a 3 ms
keyword lookup into seconds and the semantic filter from ~2 ms into ~50 ms. PostgreSQL
keeps its own statistics (autovacuum's ANALYZE), so this is SQLite only.

ANALYZE is cheap (78 ms at 100,000 chunks on the 2-core machine) but takes the write
lock, so it runs when the chunk table has doubled since the last run (and at start-up
when there are no statistics yet): a handful of runs over a database's life, each when
the old figures have become wrong by a factor of two.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

MIN_ROWS = 500  # below this every plan is fast; don't bother


class PlannerStatistics:
    """Runs ANALYZE on SQLite when the chunk table has doubled since the last ANALYZE.

    The row count at the last ANALYZE is read back from sqlite_stat1 (its first figure),
    so the rule holds across restarts and processes with no state kept here.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.enabled = engine.dialect.name == "sqlite"
        self._lock = threading.Lock()

    def _rows_now_and_then(self) -> tuple[int, int]:
        with self.engine.connect() as conn:
            # max(id) is an index lookup; count(*) would scan 100k rows each time.
            now = conn.execute(text("SELECT coalesce(max(id), 0) FROM chunk")).scalar_one()
            if conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
                            ).first() is None:
                return now, 0
            stat = conn.execute(text(
                "SELECT stat FROM sqlite_stat1 WHERE tbl = 'chunk' LIMIT 1")).scalar()
        return now, int(stat.split()[0]) if stat else 0

    def refresh(self) -> bool:
        """ANALYZE if due; True when it ran. Never raises: statistics are an optimisation."""
        if not self.enabled or not self._lock.acquire(blocking=False):
            return False
        try:
            now, then = self._rows_now_and_then()
            if now < MIN_ROWS or now < 2 * then:
                return False
            with self.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
            log.info("refreshed SQLite planner statistics at %s chunks", now)
            return True
        except Exception:
            log.warning("could not refresh SQLite planner statistics", exc_info=True)
            return False
        finally:
            self._lock.release()
