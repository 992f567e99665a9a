"""The process's runtime: settings and every long-lived resource, handed down to services.

This module holds the type only; `casework.bootstrap` (the composition root) builds it, the
same way for the API (via `app.state`), the CLI and the workers. Its fields are the seams
(blob store, indexes, embedder, job runners) typed by their protocols, so importing it
pulls in no builder and no job handler. Nothing here is a module-level global.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from casework.accounts.mail import LogMailer, Mailer
from casework.core.planner_statistics import PlannerStatistics
from casework.core.settings import Settings
from casework.entities.recognizer import NameRecognizer
from casework.ingest.sandbox import SandboxPool
from casework.observability.metrics import Metrics
from casework.search.embedder import Embedder
from casework.search.keyword_index import KeywordIndex
from casework.search.vector_index import VectorIndex
from casework.security.ratelimit import RateLimiter
from casework.storage.blobstore import BlobStore
from casework.usage.meter import UsageMeter

if TYPE_CHECKING:
    from casework.ask.cache import AnswerCache
    from casework.search.cache import SearchCache


class JobWaker(Protocol):
    """The embedded worker pool: woken when a job was enqueued in this process."""

    def notify(self, job_id: int) -> None: ...

    def stop(self) -> None: ...


class VectorUpgrade(Protocol):
    """Looks whether a better vector index can serve now, and switches the runtime to it."""

    def check(self, runtime: Runtime, *, force: bool) -> None: ...


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
    answer_cache: AnswerCache | None = None
    semantic_off_reason: str | None = None
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter("memory://"))
    mailer: Mailer = field(default_factory=LogMailer)
    metrics: Metrics = field(default_factory=Metrics)
    # PostgreSQL without pgvector yet: switches to it once `casework migrate` set it up.
    vector_upgrade: VectorUpgrade | None = field(default=None, repr=False)
    planner_statistics: PlannerStatistics | None = None
    # The named-entity model, loaded by the first entity job that runs in this process.
    names: NameRecognizer = field(default_factory=NameRecognizer, repr=False)
    # Hybrid search embeds the query here while the keyword engine runs in the caller.
    query_threads: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(4, thread_name_prefix="casework-query"),
        repr=False)

    @property
    def semantic_available(self) -> bool:
        """SEMANTIC_SEARCH as configured, and a vector index that can serve it right now.

        Settings say what was asked for and never change while running; this says what
        is possible (pgvector can appear after the start, see `refresh_vector_index`).
        """
        return self.settings.semantic_search and self.semantic_off_reason is None

    def refresh_vector_index(self, *, force: bool = False) -> None:
        """Switch to pgvector once its table exists (search/vector_upgrade.py): searches
        call this, throttled; jobs pass `force`, as an embedding job must never run into the
        stand-in index."""
        if self.vector_upgrade is not None:
            self.vector_upgrade.check(self, force=force)

    def notify_jobs(self, job_id: int) -> None:
        """Called after a commit that enqueued a job: wake whoever runs jobs."""
        if self.job_queue is not None:
            self.job_queue.dispatch(job_id, runtime=self)
        if self.workers is not None:
            self.workers.notify(job_id)

    def content_changed(self, workspace_ids: set[str]) -> None:
        """A commit changed what these workspaces' searches return: retire cached results
        (and cached answers, which cite them)."""
        if self.search_cache is not None:
            self.search_cache.bump(workspace_ids)
        if self.answer_cache is not None:
            self.answer_cache.bump(workspace_ids)

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
        self.keyword_index.close()
        self.vector_index.flush(force=True)  # type: ignore[call-arg]
        self.usage.close()
        if self.redis is not None:
            self.redis.close()
        self.engine.dispose()
