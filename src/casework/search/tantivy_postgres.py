"""tantivy beside PostgreSQL (KEYWORD_ENGINE=tantivy on a PostgreSQL deployment).

Why: PostgreSQL's GIN index finds the rows holding a word but has no top-k structure,
so a query of everyday words at a million passages ranks thousands of rows (keyword p95
196 ms and a top 10 that is 0.682 of exact BM25's, docs/benchmarks.md#postgres-million).
tantivy's block-max WAND reads only what can still reach the top k.

How it differs from the embedded engine (search/tantivy_index.py), and why:
- **An index per process, not per database.** API processes and workers run on several
  machines, and a tantivy index is files on one disk. Each DATA_DIR keeps its own index of
  the workspaces searched from it, built from `chunk` on first search (PostgreSQL's plan
  answers meanwhile) and kept up by the change log. Processes sharing a DATA_DIR share its
  index: the one holding the writer lock writes, the others read what it commits (and ask
  PostgreSQL while it is behind).
- **The log is read by transaction horizon** (search/keyword_log_pg.py): PostgreSQL
  commits in any order, so change ids cannot be a watermark.
- **The log is pruned by age**, since no process knows when every other has applied a
  change; an index left behind the pruning (a machine down for a day) is rebuilt.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from casework.core.database import transaction
from casework.core.process_lock import ProcessLock
from casework.search import keyword_log_pg
from casework.search.filters import SearchFilters
from casework.search.keyword_index import PostgresKeywordIndex
from casework.search.query import ParsedQuery
from casework.search.tantivy_index import TantivyKeywordIndex
from casework.search.tantivy_pg_rescore import ranked_by_postgres
from casework.search.tantivy_shard import Shard

DATABASE_FILE = "database"  # which database an index was built from (a restore makes another)
WRITER_RETRY_SECONDS = 5.0  # how often a reading process tries to become the writer
PRUNE_SECONDS = 60.0  # how often the writer prunes a workspace's log of old changes


class PostgresTantivyIndex(TantivyKeywordIndex):
    """The KeywordIndex seam over tantivy indexes kept by this process, on PostgreSQL."""

    def __init__(self, *, directory: Path, sessions: sessionmaker[Session],
                 read_sessions: sessionmaker[Session], poll_seconds: float = 0.5,
                 retention_seconds: float = keyword_log_pg.RETENTION_SECONDS,
                 **options: Any) -> None:
        # Lucene's non-negative IDF, as PostgreSQL's own BM25 (search/postgres_bm25.py),
        # in tantivy's choice of candidates too.
        options.setdefault("fts5_idf", False)
        super().__init__(directory=directory, sessions=sessions, read_sessions=read_sessions,
                         poll_seconds=poll_seconds, **options)
        self.retention_seconds = retention_seconds
        # Beside the indexes, not among them: switching engines deletes the indexes, and a
        # lock file deleted under its holder would let a second writer in. Hidden, so
        # backups leave it out.
        self._writer = ProcessLock(directory.parent / f".{directory.name}-writer.lock")
        self._writer_guard = threading.Lock()
        self._next_try = 0.0
        self._wanted: set[str] = set()  # workspaces searched from this process
        self._pruned_at: dict[str, float] = {}
        self._pruned: dict[str, int] = {}  # each kept workspace's pruning horizon, if any

    # --- the change log -----------------------------------------------------------------

    @staticmethod
    def _database_index() -> PostgresKeywordIndex:
        return PostgresKeywordIndex()

    def _enable_log(self, session: Session) -> bool:
        return keyword_log_pg.enable(session)

    def _build_mark(self, session: Session) -> int:
        return keyword_log_pg.horizon(session)

    def _pending(self, session: Session, shard: Shard, cap: int) -> int:
        if keyword_log_pg.lost(session, shard.workspace_id, shard.applied):
            self._wake.set()  # the writer rebuilds it; PostgreSQL answers meanwhile
            return cap + 1
        return keyword_log_pg.pending(session, shard.workspace_id, applied=shard.applied,
                                      beyond=shard.beyond, cap=cap)

    def _apply(self, session: Session, shard: Shard, *, upto: int | None = None
               ) -> int | None:
        """Apply every change visible now that the shard lacks (caller holds shard.lock).
        `session` reads each statement afresh (READ COMMITTED), so a later writer never
        puts back an older text than an earlier one did."""
        changes = keyword_log_pg.changes(session, shard.workspace_id, applied=shard.applied,
                                         beyond=shard.beyond)
        if not self._index_chunks(session, shard, changes.chunk_ids):
            return None
        seen = max(shard.seen, changes.newest_id)
        if (changes.applied, changes.beyond, seen) != (shard.applied, shard.beyond, shard.seen):
            self._mark(shard, changes.applied, changes.beyond, seen)
        return len(changes.chunk_ids)

    def _ranked(self, session: Session, shard: Shard, query: ParsedQuery, *, limit: int,
                pool: int, keep: Callable[[list[int]], set[int]] | None,
                changed: frozenset[int]) -> tuple[list[tuple[int, float]], int]:
        """tantivy's candidates ranked by PostgreSQL's own BM25 (tantivy_pg_rescore)."""
        return ranked_by_postgres(session, shard=shard, queries=self.queries, parsed=query,
                                  limit=limit, depth=self.rescore_depth, pool=pool,
                                  keep=keep, statistics=self.fallback.planner.statistics,
                                  changed=changed)

    def _overlay(self, session: Session, shard: Shard
                 ) -> tuple[Shard, frozenset[int]] | None:
        """The index as it is, and the chunks changed since: their rows are scored with
        tantivy's other candidates, what the index holds of them is not counted.

        Why: under a steady ingest a process that reads another's index is nearly always
        a moment behind it, and answering from PostgreSQL's plan then made its searches
        as slow as the plan (and ranked differently from its neighbour's). PostgreSQL ranks
        tantivy's candidates anyway (`tantivy_pg_rescore`), so a chunk written since is
        one more candidate, and a deleted one is a row no longer there."""
        changes = keyword_log_pg.changes(session, shard.workspace_id, applied=shard.applied,
                                         beyond=shard.beyond)
        return shard, frozenset(changes.chunk_ids)

    def _may_write(self) -> bool:
        """Whether this process writes the indexes of its DATA_DIR (it holds the writer lock,
        or has just taken it from a process that stopped)."""
        with self._writer_guard:
            if self._writer.held:
                return True
            now = time.monotonic()
            if now < self._next_try:
                return False
            self._next_try = now + WRITER_RETRY_SECONDS
            return self._writer.acquire()

    def _lost(self, shard: Shard) -> bool:
        """As of the last round's read of the horizons (`_kept_workspaces`)."""
        return keyword_log_pg.behind_pruning(self._pruned.get(shard.workspace_id),
                                             shard.applied)

    def _ahead_of_database(self, shard: Shard) -> bool:
        """The index was made against another database: not the one it names (restored
        into a new database), or it has seen changes this one never logged (restored in
        place: the log's sequence is back where the backup left it), or it claims a
        transaction this server has not reached."""
        applied, seen = shard.applied, shard.seen
        with transaction(self.read_sessions) as session:
            made_here = self._identity(session) == _read_identity(shard.directory)
            return (not made_here or seen > keyword_log_pg.last_issued(session)
                    or applied > keyword_log_pg.next_transaction(session))

    @staticmethod
    def _identity(session: Session) -> str:
        """This database among every other: its oid, and the server's system identifier
        where the role may read it (oids repeat across servers: 16384 is every server's
        first database)."""
        oid = session.scalar(text(
            "SELECT oid FROM pg_database WHERE datname = current_database()"))
        try:
            with session.begin_nested():  # a refused function must not end the transaction
                server = session.scalar(text("SELECT system_identifier FROM pg_control_system()"))
        except DBAPIError:
            server = "?"
        return f"{server}:{oid}"

    def _build(self, workspace_id: str, session: Session | None = None) -> Shard:
        shard = super()._build(workspace_id, session)
        with self._reading(session) as reading:
            identity = self._identity(reading)
            issued = keyword_log_pg.last_issued(reading)  # read after: never too low
        (shard.directory / DATABASE_FILE).write_text(identity)
        with shard.lock:
            self._mark(shard, shard.applied, shard.beyond, max(shard.seen, issued))
        return shard

    def _prune(self, workspace_id: str, upto: int | None) -> None:
        """A deleted workspace's log goes at once; otherwise changes older than the
        retention go, at most once a minute per workspace."""
        if upto is not None:
            now = time.monotonic()
            if now - self._pruned_at.get(workspace_id, -PRUNE_SECONDS) < PRUNE_SECONDS:
                return
            self._pruned_at[workspace_id] = now
        with transaction(self.sessions) as session:
            keyword_log_pg.prune(session, workspace_id, older_than_seconds=(
                None if upto is None else self.retention_seconds))

    # --- which workspaces, and keeping up -----------------------------------------------

    def search(self, session: Session, *, workspace_id: str, query: ParsedQuery,
               filters: SearchFilters, limit: int, notes: list[str] | None = None
               ) -> list[tuple[int, float]]:
        """As on SQLite; the first search of a workspace from this process asks for its
        index, and starts the thread that builds and follows it."""
        with self._lock:
            self._wanted.add(workspace_id)
        self.start()
        return super().search(session, workspace_id=workspace_id, query=query,
                              filters=filters, limit=limit, notes=notes)

    def start(self) -> None:
        if not self._stop.is_set():
            super().start()

    def close(self) -> None:
        super().close()
        with self._writer_guard:
            self._writer.release()

    def drop(self, workspace_id: str) -> None:
        with self._lock:
            self._wanted.discard(workspace_id)
        super().drop(workspace_id)

    def rebuild(self, workspace_id: str, *, unless_present: bool = False) -> int | None:
        if not self._may_write():
            raise RuntimeError(f"another process writes the keyword indexes of "
                               f"{self.directory}")
        with self._lock:
            self._wanted.add(workspace_id)
        return super().rebuild(workspace_id, unless_present=unless_present)

    def _kept_workspaces(self, session: Session
                         ) -> tuple[set[str], set[str], dict[str, int]]:
        """The workspaces searched from this process (or with an index open here), and
        one past each one's newest logged transaction; their pruning horizons are kept for
        `_lost`."""
        with self._lock:
            kept = self._wanted | set(self._shards)
        if not kept:
            return set(), set(), {}
        rows = session.execute(text(
            "SELECT w.id, (SELECT max(k.txid) FROM keyword_change k "
            "WHERE k.workspace_id = w.id), h.pruned_through FROM workspace w "
            "LEFT JOIN keyword_horizon h ON h.workspace_id = w.id WHERE w.id = ANY(:ids)"),
            {"ids": sorted(kept)}).all()  # one statement a round, an index seek a workspace
        existing = {workspace_id for workspace_id, _, _ in rows}
        pending = {workspace_id: int(newest) + 1 for workspace_id, newest, _ in rows
                   if newest is not None}
        self._pruned = {workspace_id: int(pruned) for workspace_id, _, pruned in rows
                        if pruned is not None}
        return kept, existing, pending

    def _catch_up_shard(self, shard: Shard, newest: int) -> int:
        """Apply what the shard lacks (one pass: the log is read by horizon, not in id
        batches), then prune the old part of the log."""
        changed = 0
        if newest > shard.applied and not shard.retired:
            with shard.lock, transaction(self.read_sessions) as session:
                changed = self._apply(session, shard) or 0
        self._prune(shard.workspace_id, shard.applied)
        return changed


def _read_identity(directory: Path) -> str | None:
    try:
        return (directory / DATABASE_FILE).read_text()
    except OSError:
        return None
