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

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

MIN_ROWS = 500  # below this every plan is fast; don't bother


# The FTS5 tables of every workspace and their shadow tables (search/keyword_tables.py).
_KEYWORD_TABLES = "chunk\\_fts\\_%"


def analyze_without_keyword_tables(conn: Connection) -> None:
    """ANALYZE every table except the workspaces' FTS5 shadow tables.

    FTS5 reaches its shadow tables by key and needs no statistics, and statistics taken
    while a workspace's table was empty made its later inserts slow down quadratically
    (probe, 2026-12-06: 418 -> 5,553 µs a chunk over 20,000 chunks after ANALYZE saw the
    table empty); a table without statistics is planned as before any ANALYZE. Rows left
    by an earlier whole-database ANALYZE go, in the same transaction, so every connection
    reloads the statistics without them.
    """
    names = conn.execute(text(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE :keyword ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"),
        {"keyword": _KEYWORD_TABLES}).scalars().all()
    for name in names:
        conn.exec_driver_sql(f'ANALYZE "{name}"')
    conn.execute(text("DELETE FROM sqlite_stat1 WHERE tbl LIKE :keyword ESCAPE '\\'"),
                 {"keyword": _KEYWORD_TABLES})


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
                analyze_without_keyword_tables(conn)
            log.info("refreshed SQLite planner statistics at %s chunks", now)
            return True
        except Exception:
            log.warning("could not refresh SQLite planner statistics", exc_info=True)
            return False
        finally:
            self._lock.release()
