"""tantivy as the embedded keyword index: one index per workspace under DATA_DIR.

Why: FTS5 has no top-k pruning, so an OR of everyday words scores every row holding any
of them; the bounded plan (search/fts5_plan.py) caps that work but still costs tens of
milliseconds at a million chunks. tantivy ranks with block-max WAND and reads only what
can still reach the top k (docs/benchmarks.md#million-chunks).

The database stays the source of truth. Chunks are written as before (FTS5 still indexes
them, so switching back costs nothing and filtered searches can fall back on it); triggers
add a `keyword_change` row per chunk write in the same transaction (search/keyword_log.py).
The index applies the log idempotently: for every changed chunk, delete its entry and add
its current text if the chunk still exists, commit, then record the last applied change id
in `applied.json` beside the index (written after the commit, so a crash in between only
replays what is already there). A search first brings the index up to its own snapshot's
log (a few thousand changes at most inline; more, and that query is answered by FTS5 while
the indexer catches up), so a committed chunk is searchable at once. tantivy chooses the
candidates; their order is exact BM25 (search/tantivy_rescore.py).

Per workspace, as FTS5's tables are (issue #15): an index's BM25 statistics are its
workspace's alone, so no other tenant's volume changes what this one finds or its scores.
Missing, corrupt or made against another database (it claims changes this database never
issued), an index is rebuilt from `chunk`, never trusted.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import tantivy
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from casework.core.database import transaction
from casework.search import keyword_log
from casework.search.filters import SearchFilters, scoped_chunks
from casework.search.keyword_index import Fts5KeywordIndex, PostgresKeywordIndex
from casework.search.keyword_tables import keyword_table
from casework.search.models import Chunk
from casework.search.query import ParsedQuery
from casework.search.tantivy_query import TantivyQueries, document
from casework.search.tantivy_rescore import RESCORE_DEPTH, ranked
from casework.search.tantivy_shard import (
    REBUILD_PAGE,
    STATE_FILE,
    Shard,
    open_index,
    read_state,
    workspace_chunks,
    write_state,
)
from casework.workspaces.models import Workspace

log = logging.getLogger(__name__)

INLINE_CHANGES = 10_000  # a search applies at most this many pending changes itself (~0.3 s)
WAIT_SECONDS = 2.0  # a search waits this long for the indexer's batch, then asks FTS5
APPLY_BATCH = 20_000  # changes per commit when the indexer catches up
FILTERED_DEPTH = 200  # hits checked against the filters before falling back on FTS5


class TantivyKeywordIndex:
    """The KeywordIndex seam over one tantivy index per workspace (SQLite only)."""

    def __init__(self, *, directory: Path, sessions: sessionmaker[Session],
                 read_sessions: sessionmaker[Session], poll_seconds: float = 0.5,
                 fts5_idf: bool = True, rescore_depth: int = RESCORE_DEPTH) -> None:
        self.directory = directory
        self.sessions = sessions
        self.read_sessions = read_sessions
        self.poll_seconds = poll_seconds
        self.filtered_depth = FILTERED_DEPTH
        self.queries = TantivyQueries(fts5_idf=fts5_idf)
        self.rescore_depth = rescore_depth  # 0: tantivy's own order (benchmarks)
        self.schema = self.queries.schema
        self.fallback = self._database_index()
        self.planner = self.fallback.planner  # benchmarks reset its counts
        self._shards: dict[str, Shard] = {}
        self._builds: dict[str, threading.Lock] = {}  # one build of a workspace at a time
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # --- the change log (SQLite here; search/tantivy_postgres.py overrides these) --------

    @staticmethod
    def _database_index() -> Fts5KeywordIndex | PostgresKeywordIndex:
        """The database's own keyword index: it answers while tantivy's cannot."""
        return Fts5KeywordIndex()

    def _enable_log(self, session: Session) -> bool:
        return keyword_log.enable(session)

    def _build_mark(self, session: Session) -> int:
        """The watermark of an index built from `session`'s chunks: the last change id
        issued, every change up to it being in the snapshot the chunks are read from."""
        return keyword_log.last_issued(session)

    def _pending(self, session: Session, shard: Shard, cap: int) -> int:
        """How many logged changes the shard has yet to apply, counted up to `cap` + 1."""
        if keyword_log.newest(session, shard.workspace_id) <= shard.applied:
            return 0
        return int(session.scalar(text(
            "SELECT count(*) FROM (SELECT 1 FROM keyword_change WHERE workspace_id = :w "
            "AND id > :a LIMIT :n) AS pending"), {"w": shard.workspace_id, "a": shard.applied,
                                                 "n": cap + 1}))

    def _apply(self, session: Session, shard: Shard, *, upto: int | None = None
               ) -> int | None:
        """Apply the workspace's logged changes up to `upto` (default: its newest) as of
        `session`'s snapshot (caller holds shard.lock); how many chunks changed, None when
        it cannot write now."""
        if upto is None:
            upto = keyword_log.newest(session, shard.workspace_id)
        if upto <= shard.applied:
            return 0
        chunk_ids = keyword_log.changed_chunks(session, shard.workspace_id,
                                               after=shard.applied, upto=upto)
        if not self._index_chunks(session, shard, chunk_ids):
            return None
        self._mark(shard, upto)
        return len(chunk_ids)

    # --- the seam -----------------------------------------------------------------------

    def prepare(self, session: Session) -> None:
        """Log chunk changes from now on. If the log was off, nothing on disk can be
        trusted (changes went unrecorded): every index is rebuilt by the indexer."""
        if self._enable_log(session):
            with self._lock:
                self._shards.clear()
            shutil.rmtree(self.directory, ignore_errors=True)

    def search(self, session: Session, *, workspace_id: str, query: ParsedQuery,
               filters: SearchFilters, limit: int, notes: list[str] | None = None
               ) -> list[tuple[int, float]]:
        if query.is_empty:
            return []
        current = self._current(session, workspace_id)
        if current is None:
            self._wake.set()  # the indexer builds or catches up; FTS5 answers meanwhile
            return self.fallback.search(session, workspace_id=workspace_id, query=query,
                                        filters=filters, limit=limit, notes=notes)
        shard, changed = current
        depth = limit if not filters.any else max(limit, self.filtered_depth)

        def allowed(chunk_ids: list[int]) -> set[int]:
            return set(session.scalars(scoped_chunks(
                select(Chunk.id), workspace_id=workspace_id, filters=filters
            ).where(Chunk.id.in_(chunk_ids))))

        try:
            hits, looked = self._ranked(session, shard, query, limit=limit, pool=depth,
                                        keep=allowed if filters.any else None,
                                        changed=changed)
        except (ValueError, OSError) as exc:  # files gone or damaged under an open index
            log.warning("keyword index of workspace %s failed (%s): rebuilding",
                        workspace_id, exc)
            self._discard(shard)
            return self.fallback.search(session, workspace_id=workspace_id, query=query,
                                        filters=filters, limit=limit, notes=notes)
        if not filters.any or len(hits) >= limit or looked < depth:
            return hits  # every filtered row further down ranks below these
        # The filters are narrow for this query: FTS5 ranks inside them (joined plan).
        return self.fallback.search(session, workspace_id=workspace_id, query=query,
                                    filters=filters, limit=limit, notes=notes)

    def start(self) -> None:
        """Keep every index caught up in the background (the process running the jobs)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="casework-keyword-index",
                                            daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._lock:
            shards = list(self._shards.values())
            self._shards.clear()
        for shard in shards:
            with shard.lock:
                shard.close_writer()

    def applied(self, workspace_id: str) -> int | None:
        """The last change id the workspace's index holds; None: it has no index yet."""
        shard = self._shard(workspace_id)
        return None if shard is None else shard.applied

    # --- reading ------------------------------------------------------------------------

    def _current(self, session: Session, workspace_id: str
                 ) -> tuple[Shard, frozenset[int]] | None:
        """The workspace's index brought up to the caller's snapshot, with the chunks it
        still lacks changes of (see `_overlay`), or None when neither can be done now (no
        index yet, too far behind, written by another process)."""
        shard = self._shard(workspace_id) or self._build_small(session, workspace_id)
        if shard is None:
            return None
        self._reload_if_changed(shard)
        behind = self._pending(session, shard, INLINE_CHANGES)
        if not behind:
            return shard, frozenset()
        if behind > INLINE_CHANGES:
            return None
        if not self._may_write() or not shard.lock.acquire(timeout=WAIT_SECONDS):
            return self._overlay(session, shard)
        try:
            if self._apply(session, shard) is None:
                return None
        finally:
            shard.lock.release()
        return shard, frozenset()

    def _overlay(self, session: Session, shard: Shard
                 ) -> tuple[Shard, frozenset[int]] | None:
        """How to answer when the index lags and this process cannot bring it up to date
        (another process writes it, or the indexer holds it): on SQLite, FTS5 does."""
        return None

    def _may_write(self) -> bool:
        """Whether this process may write the indexes (on SQLite, whoever writes first)."""
        return True

    def _ranked(self, session: Session, shard: Shard, query: ParsedQuery, *, limit: int,
                pool: int, keep: Callable[[list[int]], set[int]] | None,
                changed: frozenset[int]) -> tuple[list[tuple[int, float]], int]:
        """tantivy's candidates ranked by exact BM25 as FTS5 computes it (`changed` is
        always empty here: see `_overlay`)."""
        return ranked(session, shard=shard, queries=self.queries, parsed=query, limit=limit,
                      depth=self.rescore_depth, pool=pool, keep=keep)

    def _build_small(self, session: Session, workspace_id: str) -> Shard | None:
        """A workspace without an index that is small enough is indexed by the search
        itself (a new workspace is searchable with tantivy from its first query); a large
        one is left to the indexer while FTS5 answers."""
        if not self._may_write():
            return None
        small = session.scalar(text(
            "SELECT count(*) FROM (SELECT 1 FROM chunk WHERE workspace_id = :w LIMIT :n) "
            "AS small"), {"w": workspace_id, "n": INLINE_CHANGES + 1}) <= INLINE_CHANGES
        build = self._build_lock(workspace_id)
        if not small or not build.acquire(timeout=WAIT_SECONDS):
            return None
        try:  # the indexer may have built it while this search waited
            return self._shard(workspace_id) or self._build(workspace_id, session)
        except RuntimeError:  # another process writes it
            return None
        finally:
            build.release()

    # --- the indexes on disk ------------------------------------------------------------

    def _path(self, workspace_id: str) -> Path:
        keyword_table(workspace_id)  # the id's shape is checked before it names a folder
        return self.directory / workspace_id

    def _shard(self, workspace_id: str) -> Shard | None:
        """The workspace's open index, or None when it has none that can be trusted."""
        with self._lock:
            shard = self._shards.get(workspace_id)
        if shard is not None:
            return shard
        directory = self._path(workspace_id)
        state = read_state(directory)
        if state is None:
            return None
        try:
            index = open_index(directory, self.queries)
        except (ValueError, OSError) as exc:  # corrupt: rebuilt by the indexer
            log.warning("keyword index of workspace %s cannot be opened (%s): rebuilding",
                        workspace_id, exc)
            return None
        shard = Shard(workspace_id, directory, index, state[0], state[1], beyond=state[2],
                      seen=state[3])
        with self._lock:
            return self._shards.setdefault(workspace_id, shard)

    def _reload_if_changed(self, shard: Shard) -> None:
        """Another process may have applied changes: take its commit and its watermark."""
        state = read_state(shard.directory)
        if state is not None and state[1] != shard.state_stamp and state[0] >= shard.applied:
            shard.index.reload()
            shard.applied, shard.state_stamp, shard.beyond, shard.seen = state

    def _index_chunks(self, session: Session, shard: Shard, chunk_ids: list[int]) -> bool:
        """Put the chunks' text as of `session` in the index, or take out those gone, and
        commit (caller holds shard.lock); False when this process cannot write it now.

        Idempotent: each chunk is deleted from the index and added again if it still
        exists, so applying a change twice (a crash after the commit, before the
        watermark) leaves the same index.
        """
        if shard.retired:
            return False
        writer = shard.open_writer()
        if writer is None:
            return False
        if not chunk_ids:
            return True
        for start in range(0, len(chunk_ids), REBUILD_PAGE):
            batch = chunk_ids[start:start + REBUILD_PAGE]
            writer.delete_documents_by_query(
                tantivy.Query.term_set_query(self.schema, "chunk_id", batch))
            for chunk_id, body in session.execute(select(Chunk.id, Chunk.text).where(
                    Chunk.workspace_id == shard.workspace_id, Chunk.id.in_(batch))):
                writer.add_document(document(chunk_id, body))
        writer.commit()
        shard.index.reload()
        return True

    @staticmethod
    def _mark(shard: Shard, applied: int, beyond: frozenset[int] = frozenset(),
              seen: int | None = None) -> None:
        """Record how far the shard has applied the log, after its commit."""
        shard.applied, shard.beyond = applied, beyond
        shard.seen = shard.seen if seen is None else seen
        shard.state_stamp = write_state(shard.directory, applied, beyond, shard.seen)

    def _discard(self, shard: Shard) -> None:
        """Forget a damaged index: its state file goes, so the indexer rebuilds it."""
        with self._lock:
            if self._shards.get(shard.workspace_id) is shard:
                del self._shards[shard.workspace_id]
        with shard.lock:
            shard.retired = True
            shard.close_writer()
        (shard.directory / STATE_FILE).unlink(missing_ok=True)
        self._wake.set()

    def _build_lock(self, workspace_id: str) -> threading.Lock:
        with self._lock:
            return self._builds.setdefault(workspace_id, threading.Lock())

    def rebuild(self, workspace_id: str, *, unless_present: bool = False) -> int | None:
        """Build the workspace's index afresh from `chunk`, then forget the log it
        covers; returns how many chunks it holds (None: `unless_present` and it had an
        index by the time the build lock was taken). Searches use FTS5 meanwhile."""
        with self._build_lock(workspace_id):
            if unless_present and self._shard(workspace_id) is not None:
                return None
            shard = self._build(workspace_id)
        self._prune(workspace_id, shard.applied)
        return shard.index.searcher().num_docs

    def _build(self, workspace_id: str, session: Session | None = None) -> Shard:
        """The index built from `chunk` (caller holds the workspace's build lock).

        The change ids up to the database's last are in the snapshot the chunks are read
        from, so the new index stands for exactly that change id; later changes are
        replayed on top. A search that builds a small workspace's index passes its own
        `session`: taking a second pooled connection while the request holds one would
        deadlock a pool once as many first searches run as it has connections.
        """
        directory = self._path(workspace_id)
        with self._lock:
            old = self._shards.pop(workspace_id, None)
        if old is not None:
            with old.lock:
                old.retired = True
                old.close_writer()
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        index = open_index(directory, self.queries)
        shard = Shard(workspace_id, directory, index, 0, 0.0, checked=True)
        with shard.lock, self._reading(session) as reading:
            upto = self._build_mark(reading)
            writer = shard.open_writer()
            if writer is None:
                raise RuntimeError(f"another process writes the keyword index of "
                                   f"{workspace_id}")
            for chunk_id, body in workspace_chunks(reading, workspace_id):
                writer.add_document(document(chunk_id, body))
            writer.commit()
            # Wait for the merges a large build starts (searches over a few merged
            # segments, not dozens) and give back the writer's memory until it is needed.
            shard.close_writer()
            index.reload()
            self._mark(shard, upto)
        with self._lock:
            self._shards[workspace_id] = shard
        return shard

    def _reading(self, session: Session | None) -> AbstractContextManager[Session]:
        """The caller's session, else a read transaction of the index's own."""
        return nullcontext(session) if session is not None else transaction(self.read_sessions)

    def drop(self, workspace_id: str) -> None:
        """A deleted workspace: its index goes, and its log with it."""
        with self._lock:
            shard = self._shards.pop(workspace_id, None)
        if shard is not None:
            with shard.lock:
                shard.retired = True
                shard.close_writer()
        shutil.rmtree(self._path(workspace_id), ignore_errors=True)
        self._prune(workspace_id, None)

    def _prune(self, workspace_id: str, upto: int | None) -> None:
        with transaction(self.sessions) as session:
            keyword_log.prune(session, workspace_id,
                              upto=upto if upto is not None else keyword_log.last_issued(
                                  session))

    # --- keeping up ---------------------------------------------------------------------

    def catch_up(self) -> dict[str, int]:
        """Bring every workspace's index up to the database: build the missing, rebuild the
        untrustworthy, replay the log, prune what is applied. Returns changes applied (or
        chunks indexed, for a build) per workspace."""
        if not self._may_write():
            return {}
        with transaction(self.read_sessions) as session:
            kept, existing, pending = self._kept_workspaces(session)
        done: dict[str, int] = {}
        for workspace_id in sorted(kept):
            if workspace_id not in existing:
                self.drop(workspace_id)
                continue
            shard = self._shard(workspace_id)
            stale = False
            if shard is not None and not shard.checked:
                shard.checked = True  # once per index opened from disk
                if self._ahead_of_database(shard):
                    log.warning("keyword index of workspace %s is ahead of the database "
                                "(a restored backup?): rebuilding", workspace_id)
                    stale = True
            if shard is not None and not stale and self._lost(shard):
                log.warning("keyword index of workspace %s missed changes pruned from the "
                            "log: rebuilding", workspace_id)
                stale = True
            if shard is None or stale:
                # A missing one may have been built by a search meanwhile: not twice.
                count = self.rebuild(workspace_id, unless_present=not stale)
                if count is not None:
                    done[workspace_id] = count
                continue
            applied = self._catch_up_shard(shard, pending.get(workspace_id, 0))
            if applied:
                done[workspace_id] = applied
        return done

    def _kept_workspaces(self, session: Session
                         ) -> tuple[set[str], set[str], dict[str, int]]:
        """(the workspaces to keep an index of, those of them that exist, the newest
        change of each that has any): on SQLite every workspace, one process indexes all."""
        pending = keyword_log.pending_workspaces(session)
        existing = set(session.scalars(select(Workspace.id)))
        return existing | set(pending), existing, pending

    def _lost(self, shard: Shard) -> bool:
        """Whether changes the shard never applied are gone from the log (SQLite prunes
        only what its one index applied)."""
        return False

    def _ahead_of_database(self, shard: Shard) -> bool:
        """The index claims a change id this database never issued: it was made against
        another database (or this one before a restore). Read after the watermark, so a
        search that applied changes meanwhile is not mistaken for one."""
        applied = shard.applied
        with transaction(self.read_sessions) as session:
            return applied > keyword_log.last_issued(session)

    def _catch_up_shard(self, shard: Shard, newest: int) -> int:
        """Replay the shard's log in batches, then prune it; how many chunks changed."""
        if not newest:
            return 0  # nothing logged: no transaction at all (this runs every poll)
        applied = 0
        while newest > shard.applied and not shard.retired:
            with shard.lock, transaction(self.read_sessions) as session:
                upto = session.scalar(text(
                    "SELECT max(id) FROM (SELECT id FROM keyword_change WHERE workspace_id = :w "
                    "AND id > :a ORDER BY id LIMIT :n) AS batch"),
                    {"w": shard.workspace_id, "a": shard.applied, "n": APPLY_BATCH})
                if upto is None:
                    break
                changed = self._apply(session, shard, upto=upto)
                if changed is None:
                    return applied
                applied += changed
        self._prune(shard.workspace_id, shard.applied)
        return applied

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.catch_up()
            except Exception:  # the next round retries; searches use FTS5 meanwhile
                log.exception("keyword index catch-up failed")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

