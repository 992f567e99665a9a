"""The process's runtime: settings and every long-lived resource, handed down to services.

This module holds the type only; `casework.bootstrap` (the composition root) builds it, the
same way for the API (via `app.state`), the CLI and the workers. Its fields are the seams
(blob store, indexes, embedder, job runners) typed by their protocols, so importing it
pulls in no builder and no job handler. Nothing here is a module-level global.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from casework.accounts.mail import LogMailer, Mailer
from casework.core.planner_statistics import PlannerStatistics
from casework.core.settings import Settings
from casework.db.pgvector import copy_missing_vectors
from casework.ingest.sandbox import SandboxPool
from casework.observability.metrics import Metrics
from casework.search.embedder import Embedder
from casework.search.keyword_index import KeywordIndex
from casework.search.pgvector_index import PgvectorIndex
from casework.search.vector_index import VectorIndex
from casework.security.ratelimit import RateLimiter
from casework.storage.blobstore import BlobStore
from casework.usage.meter import UsageMeter

if TYPE_CHECKING:
    from casework.search.cache import SearchCache

log = logging.getLogger(__name__)

VECTOR_RECHECK_SECONDS = 10.0


class JobWaker(Protocol):
    """The embedded worker pool: woken when a job was enqueued in this process."""

    def notify(self, job_id: int) -> None: ...

    def stop(self) -> None: ...


class JobDispatcher(Protocol):
    """The Celery queue: sends a committed job's id to the workers."""

    def dispatch(self, job_id: int, *, runtime: Runtime) -> None: ...

    def close(self) -> None: ...


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    blobs: BlobStore
    keyword_index: KeywordIndex
    vector_index: VectorIndex
    embedder: Embedder
    usage: UsageMeter
    # Parser processes for untrusted files (ingest/sandbox.py); started on first use.
    sandbox: SandboxPool
    workers: JobWaker | None = None
    redis: Any = None
    job_queue: JobDispatcher | None = None
    search_cache: SearchCache | None = None
    semantic_off_reason: str | None = None
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter("memory://"))
    mailer: Mailer = field(default_factory=LogMailer)
    metrics: Metrics = field(default_factory=Metrics)
    # Set by the composition root: what to do once pgvector serves (queue skipped vectors).
    on_vectors_ready: Callable[[Runtime], None] | None = field(default=None, repr=False)
    planner_statistics: PlannerStatistics | None = None
    # Hybrid search embeds the query here while the keyword engine runs in the caller.
    query_threads: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(4, thread_name_prefix="casework-query"),
        repr=False)
    _vectors_checked_at: float = field(default=float("-inf"), repr=False)
    _vectors_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def semantic_available(self) -> bool:
        """SEMANTIC_SEARCH as configured, and a vector index that can serve it right now.

        Settings say what was asked for and never change while running; this says what
        is possible (pgvector can appear after the start, see `refresh_vector_index`).
        """
        return self.settings.semantic_search and self.semantic_off_reason is None

    def refresh_vector_index(self, *, force: bool = False) -> None:
        """Switch to pgvector once its table exists: no restart after `casework migrate`.

        A process started before pgvector was set up would otherwise keep answering 503 to
        semantic searches and, worse, run embedding jobs into an index that drops them.
        Searches look every VECTOR_RECHECK_SECONDS at most; jobs pass `force` and look
        every time (one catalogue query), because an embedding job only exists once the
        table does and must never run into the stand-in index.
        """
        if (isinstance(self.vector_index, PgvectorIndex)
                or self.engine.dialect.name != "postgresql"
                or self.settings.vector_backend == "disk"):
            return
        # A search thread never waits for the lock: it holds a pooled connection, and the
        # checker needs another one; threads queued on the lock could starve it of one.
        if not self._vectors_lock.acquire(blocking=force):
            return
        try:
            now = time.monotonic()
            if not force and now - self._vectors_checked_at < VECTOR_RECHECK_SECONDS:
                return
            self._vectors_checked_at = now
            with self.engine.connect() as conn:
                if not inspect(conn).has_table("chunk_vector"):
                    return
            # Vectors this process put in its on-disk index meanwhile are in `embedding`.
            copied = copy_missing_vectors(self.engine, model=self.embedder.name)
            self.vector_index = PgvectorIndex(sessions=self.sessions,
                                              read_sessions=self.read_sessions,
                                              dimensions=self.embedder.dimensions)
            self.semantic_off_reason = None
        finally:
            self._vectors_lock.release()
        log.info("pgvector is set up: vectors live in PostgreSQL from now on (%d copied)",
                 copied)
        if self.on_vectors_ready is not None:
            self.on_vectors_ready(self)

    def notify_jobs(self, job_id: int) -> None:
        """Called after a commit that enqueued a job: wake whoever runs jobs."""
        if self.job_queue is not None:
            self.job_queue.dispatch(job_id, runtime=self)
        if self.workers is not None:
            self.workers.notify(job_id)

    def content_changed(self, workspace_ids: set[str]) -> None:
        """A commit changed what these workspaces' searches return: retire cached results."""
        if self.search_cache is not None:
            self.search_cache.bump(workspace_ids)

    def after_job(self) -> None:
        self.vector_index.flush()
        if self.planner_statistics is not None:
            self.planner_statistics.refresh()

    def close(self) -> None:
        if self.workers is not None:
            self.workers.stop()
            self.workers = None
        if self.job_queue is not None:
            self.job_queue.close()
        self.query_threads.shutdown(wait=True)
        self.sandbox.close()
        self.vector_index.flush(force=True)  # type: ignore[call-arg]
        self.usage.flush()
        if self.redis is not None:
            self.redis.close()
        self.engine.dispose()
