"""The process's runtime: settings and every long-lived resource, built once and handed down.

The API (via `app.state`), the CLI and the workers all build a `Runtime` the same way, so
they run the same services on the same seams. Nothing here is a module-level global.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from casework.accounts.mail import LogMailer, Mailer, build_mailer
from casework.core.database import build_engine, build_session_factory, transaction
from casework.core.planner_statistics import PlannerStatistics
from casework.core.settings import Settings
from casework.ingest.sandbox import SandboxPool
from casework.media.images import apply_pixel_limit
from casework.observability.metrics import Metrics
from casework.search.embedder import Embedder
from casework.search.embedder_runtime import build_embedder
from casework.search.keyword_index import Fts5KeywordIndex, KeywordIndex, PostgresKeywordIndex
from casework.search.stored_vectors import StoredVectors
from casework.search.vector_index import UsearchVectorIndex, VectorIndex
from casework.security.ratelimit import RateLimiter
from casework.storage.blobstore import BlobStore
from casework.storage.local import LocalBlobStore
from casework.usage.meter import UsageMeter

if TYPE_CHECKING:
    from casework.db.pgvector import VectorTable
    from casework.jobs.celery_queue import CeleryJobQueue
    from casework.jobs.handlers import JobHandler
    from casework.jobs.worker import WorkerPool
    from casework.search.cache import SearchCache

log = logging.getLogger(__name__)

VECTOR_RECHECK_SECONDS = 10.0


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
    handlers: dict[str, JobHandler] = field(default_factory=dict)
    workers: WorkerPool | None = None
    redis: Any = None
    job_queue: CeleryJobQueue | None = None
    search_cache: SearchCache | None = None
    semantic_off_reason: str | None = None
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter("memory://"))
    mailer: Mailer = field(default_factory=LogMailer)
    metrics: Metrics = field(default_factory=Metrics)
    # SEMANTIC_SEARCH as configured: `settings` turns it off while no vector index can serve.
    semantic_requested: bool = False
    planner_statistics: PlannerStatistics | None = None
    # Hybrid search embeds the query here while the keyword engine runs in the caller.
    query_threads: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(4, thread_name_prefix="casework-query"),
        repr=False)
    _vectors_checked_at: float = field(default=float("-inf"), repr=False)
    _vectors_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def refresh_vector_index(self, *, force: bool = False) -> None:
        """Switch to pgvector once its table exists: no restart after `casework migrate`.

        A process started before pgvector was set up would otherwise keep answering 503 to
        semantic searches and, worse, run embedding jobs into an index that drops them.
        Searches look every VECTOR_RECHECK_SECONDS at most; jobs pass `force` and look
        every time (one catalogue query), because an embedding job only exists once the
        table does and must never run into the stand-in index.
        """
        from casework.search.pgvector_index import PgvectorIndex

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
            from casework.db.pgvector import copy_missing_vectors

            # Vectors this process put in its on-disk index meanwhile are in `embedding`.
            copied = copy_missing_vectors(self.engine, model=self.embedder.name)
            self.vector_index = PgvectorIndex(sessions=self.sessions,
                                              read_sessions=self.read_sessions,
                                              dimensions=self.embedder.dimensions)
            self.semantic_off_reason = None
            self.settings = self.settings.model_copy(
                update={"semantic_search": self.semantic_requested})
        finally:
            self._vectors_lock.release()
        from casework.ingest.backlog import queue_skipped_embeddings

        # What this process indexed while semantic search was off gets its vectors now.
        with transaction(self.sessions) as session:
            queued = queue_skipped_embeddings(session=session, runtime=self)
        log.info("pgvector is set up: vectors live in PostgreSQL from now on (%d copied, "
                 "%d documents and %d notes queued for embedding)", copied,
                 queued.documents, queued.notes)

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


def _engine(settings: Settings) -> Engine:
    if settings.is_sqlite:
        return build_engine(settings.resolved_database_url)
    return build_engine(settings.resolved_database_url, pool_size=settings.db_pool_size,
                        max_overflow=settings.db_max_overflow,
                        pool_timeout=settings.db_pool_timeout,
                        pool_recycle=settings.db_pool_recycle)


def _blob_store(settings: Settings) -> BlobStore:
    if not settings.s3_bucket:
        return LocalBlobStore(settings.blob_dir)
    from casework.storage.s3 import S3BlobStore

    secret = settings.s3_secret_access_key
    store = S3BlobStore(bucket=settings.s3_bucket, endpoint_url=settings.s3_endpoint_url,
                        region=settings.s3_region, access_key_id=settings.s3_access_key_id,
                        secret_access_key=secret.get_secret_value() if secret else None,
                        sse=settings.s3_sse,
                        multipart_threshold=settings.s3_multipart_threshold_bytes)
    store.ensure_bucket()
    return store


NO_PGVECTOR = ("this PostgreSQL has no pgvector extension, and the on-disk vector index "
               "cannot be shared by several processes: install pgvector on the server and "
               "run `casework migrate` (docs/scale-out.md), or run one process with "
               "VECTOR_BACKEND=disk")


def _vector_index(settings: Settings, engine: Engine, sessions: sessionmaker[Session],
                  read_sessions: sessionmaker[Session], embedder: Embedder, *,
                  pgvector_off: str | None = None) -> tuple[VectorIndex, str | None]:
    """pgvector where it can be had; the on-disk index only where one process serves all.

    `pgvector_off` is why pgvector cannot serve after all, once migrating tried to set it up.
    """
    from casework.search.pgvector_index import (
        DisabledVectorIndex,
        PgvectorIndex,
        pgvector_available,
    )

    if engine.dialect.name == "postgresql" and settings.vector_backend != "disk":
        if pgvector_off is None and pgvector_available(engine):
            return PgvectorIndex(sessions=sessions, read_sessions=read_sessions,
                                 dimensions=embedder.dimensions), None
        if settings.vector_backend == "pgvector" or settings.redis_url:
            reason = NO_PGVECTOR if pgvector_off is None else (
                f"{pgvector_off}; until then the on-disk vector index cannot stand in, as "
                "several processes could not share it")
            log.warning("semantic search is off: %s", reason)
            return DisabledVectorIndex(reason), reason
    disk = UsearchVectorIndex(settings.index_dir / "vectors", dimensions=embedder.dimensions,
                              source=StoredVectors(read_sessions, embedder.name))
    return disk, None


def settle_vector_index(runtime: Runtime) -> VectorTable | None:
    """After migrating: set up pgvector's table if the server offers it now, else fall back.

    The runtime picked pgvector when the server lists the extension; whether the table
    could really be made (the extension is not a trusted one) is only known here. Every
    start runs this, so installing pgvector later and restarting (or `casework migrate`)
    turns semantic search on without touching the database by hand.
    """
    from casework.db.pgvector import ensure_vector_table
    from casework.search.pgvector_index import PgvectorIndex

    settings = runtime.settings
    if runtime.engine.dialect.name != "postgresql" or settings.vector_backend == "disk":
        return None
    table = ensure_vector_table(runtime.engine, model=runtime.embedder.name)
    if table.created:
        log.info("pgvector set up: chunk_vector created, %d stored vectors copied",
                 table.copied)
    if table.ready or not isinstance(runtime.vector_index, PgvectorIndex):
        return table
    index, off = _vector_index(settings, runtime.engine, runtime.sessions,
                               runtime.read_sessions, runtime.embedder,
                               pgvector_off=table.reason)
    runtime.vector_index, runtime.semantic_off_reason = index, off
    if off and settings.semantic_search:
        runtime.settings = settings.model_copy(update={"semantic_search": False})
    return table


def _redis_services(settings: Settings) -> tuple[Any, CeleryJobQueue | None,
                                                 SearchCache | None]:
    if not settings.redis_url:
        return None, None, None
    import redis

    from casework.jobs.celery_queue import CeleryJobQueue
    from casework.search.cache import SearchCache

    client = redis.Redis.from_url(settings.redis_url, health_check_interval=30)
    cache = SearchCache(client, namespace=settings.redis_namespace,
                        ttl_seconds=settings.search_cache_seconds)
    return client, CeleryJobQueue(settings, redis=client), cache


def build_runtime(settings: Settings, *, embedder: Embedder | None = None) -> Runtime:
    """Create every resource from the settings. Cheap: no model is loaded here."""
    from casework.jobs.registry import HANDLERS

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    apply_pixel_limit(settings.max_image_pixels)
    engine = _engine(settings)
    sessions = build_session_factory(engine)
    read_sessions = build_session_factory(engine, readonly=True)
    embedder = embedder or build_embedder(settings)
    keyword_index: KeywordIndex = (
        Fts5KeywordIndex() if engine.dialect.name == "sqlite" else PostgresKeywordIndex()
    )
    vector_index, semantic_off = _vector_index(settings, engine, sessions, read_sessions,
                                               embedder)
    requested_semantic = settings.semantic_search
    if semantic_off and settings.semantic_search:
        settings = settings.model_copy(update={"semantic_search": False})  # never embed
    redis_client, job_queue, search_cache = _redis_services(settings)
    runtime = Runtime(
        settings=settings, engine=engine, sessions=sessions, read_sessions=read_sessions,
        blobs=_blob_store(settings), keyword_index=keyword_index,
        vector_index=vector_index, embedder=embedder, handlers=dict(HANDLERS),
        usage=UsageMeter(sessions),
        redis=redis_client, job_queue=job_queue, search_cache=search_cache,
        semantic_off_reason=semantic_off, semantic_requested=requested_semantic,
        planner_statistics=PlannerStatistics(engine),
        limiter=RateLimiter(settings.rate_limit_storage_url), mailer=build_mailer(settings),
        sandbox=SandboxPool(settings),
    )
    if search_cache is not None:
        from casework.search.cache import track_changes

        track_changes(sessions, runtime.content_changed)
    return runtime


def start_workers(runtime: Runtime) -> bool:
    """Start in-process workers unless another process on this DATA_DIR already runs them."""
    from casework.jobs.worker import WorkerLock, WorkerPool

    if runtime.job_queue is not None:
        log.info("jobs run on Celery workers (REDIS_URL is set): `casework worker`")
        return False
    if runtime.settings.worker_threads == 0:
        return False
    lock = WorkerLock(runtime.settings.data_dir / "worker.lock")
    if not lock.acquire():
        log.info("another casework process runs the workers for %s", runtime.settings.data_dir)
        return False
    pool = WorkerPool(runtime, threads=runtime.settings.worker_threads, lock=lock)
    pool.start()
    runtime.workers = pool
    return True
