"""The composition root: builds the runtime, owns the job-handler table, starts workers.

Only the entry points import this module (`app.py`, the CLI, the Celery worker): everything
else receives a `Runtime` and imports its type from `casework.runtime`, never the builder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from casework.accounts.bootstrap import bootstrap_accounts
from casework.accounts.mail import build_mailer
from casework.ask.cache import AnswerCache
from casework.backup import tasks as backup_tasks
from casework.batch_search import tasks as batch_search_tasks
from casework.core.database import build_engine, build_session_factory, transaction
from casework.core.malloc import limit_malloc_arenas
from casework.core.planner_statistics import PlannerStatistics
from casework.core.process_lock import ProcessLock
from casework.core.settings import Settings
from casework.db import migrate
from casework.db.pgvector import VectorTable, ensure_vector_table
from casework.entities import tasks as entities_tasks
from casework.exports import tasks as exports_tasks
from casework.ingest import tasks as ingest_tasks
from casework.ingest.backlog import QueuedEmbeddings, queue_skipped_embeddings
from casework.ingest.rechunk import queue_rechunking
from casework.ingest.sandbox import SandboxPool
from casework.jobs.registry import JobRegistry
from casework.jobs.worker import WorkerPool
from casework.learning import tasks as learning_tasks
from casework.media.images import apply_pixel_limit
from casework.neardup import tasks as neardup_tasks
from casework.neardup.backfill import queue_all_unsigned
from casework.productions import tasks as productions_tasks
from casework.reports import tasks as reports_tasks
from casework.runtime import Runtime
from casework.saved_searches import tasks as saved_searches_tasks
from casework.search import tasks as search_tasks
from casework.search.cache import SearchCache, track_changes
from casework.search.embedder import Embedder
from casework.search.embedder_runtime import build_embedder
from casework.search.keyword_index import Fts5KeywordIndex, KeywordIndex, PostgresKeywordIndex
from casework.search.pgvector_index import (
    DisabledVectorIndex,
    PgvectorIndex,
    pgvector_available,
)
from casework.search.stored_vectors import StoredVectors
from casework.search.vector_index import UsearchVectorIndex, VectorIndex
from casework.search.vector_upgrade import PgvectorUpgrade
from casework.security.ratelimit import RateLimiter
from casework.storage.blobstore import BlobStore
from casework.storage.local import LocalBlobStore
from casework.usage.meter import UsageMeter
from casework.webhooks import tasks as webhooks_tasks
from casework.workspaces import service as workspaces_service

if TYPE_CHECKING:
    from casework.jobs.celery_queue import CeleryJobQueue

log = logging.getLogger(__name__)


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
    from casework.storage.s3 import S3BlobStore  # boto3: imported only by who needs S3

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


def _pgvector_possible(settings: Settings, engine: Engine) -> bool:
    """PostgreSQL, and not told to keep vectors on disk: pgvector may serve now or later."""
    return engine.dialect.name == "postgresql" and settings.vector_backend != "disk"


def _vector_index(settings: Settings, engine: Engine, sessions: sessionmaker[Session],
                  read_sessions: sessionmaker[Session], embedder: Embedder, *,
                  pgvector_off: str | None = None) -> tuple[VectorIndex, str | None]:
    """pgvector where it can be had; the on-disk index only where one process serves all.

    `pgvector_off` is why pgvector cannot serve after all, once migrating tried to set it up.
    """
    if _pgvector_possible(settings, engine):
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
    settings = runtime.settings
    if not _pgvector_possible(settings, runtime.engine):
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
    return table


# Every domain that has jobs: each registers its kinds (and periodic jobs) in its tasks.py.
TASK_MODULES = (ingest_tasks, search_tasks, entities_tasks, backup_tasks, webhooks_tasks,
                reports_tasks, learning_tasks, exports_tasks, batch_search_tasks,
                saved_searches_tasks, neardup_tasks, productions_tasks)


def build_job_registry(settings: Settings) -> JobRegistry:
    """The job-handler table: what each kind runs, and which periodic jobs are switched on."""
    registry = JobRegistry()
    for tasks in TASK_MODULES:
        tasks.register(registry, settings)
    return registry


def _worker_runtime(settings: Settings) -> Runtime:
    """A Celery worker process's own runtime, built on its first task."""
    runtime = build_runtime(settings)
    # Vectors only where the migration could set pgvector up, as in the API.
    settle_vector_index(runtime)
    return runtime


def _redis_client(settings: Settings) -> Any:
    # redis loads only in the scale-out shape: every CLI command starts faster without it.
    import redis

    return redis.Redis.from_url(settings.redis_url, health_check_interval=30)


def build_job_queue(settings: Settings, registry: JobRegistry, *,
                    redis_client: Any = None) -> CeleryJobQueue:
    """The Celery queue of the scale-out shape (REDIS_URL): sends job ids, runs them."""
    from casework.jobs.celery_queue import CeleryJobQueue  # Celery: as redis, scale-out only

    return CeleryJobQueue(settings, redis=redis_client or _redis_client(settings),
                          registry=registry,
                          build_runtime=partial(_worker_runtime, settings))


def _queue_skipped_embeddings(runtime: Runtime) -> None:
    """pgvector serves now: what this process indexed meanwhile gets its vectors."""
    with transaction(runtime.sessions) as session:
        queued = queue_skipped_embeddings(session=session, runtime=runtime)
    log.info("queued embedding of %d documents and %d notes indexed while semantic search "
             "was off", queued.documents, queued.notes)


def _vector_upgrade(settings: Settings, engine: Engine) -> PgvectorUpgrade | None:
    """On PostgreSQL, pgvector can be set up while this process runs (`casework migrate`)."""
    if not _pgvector_possible(settings, engine):
        return None
    return PgvectorUpgrade(on_ready=_queue_skipped_embeddings)


def _keyword_index(settings: Settings, engine: Engine, sessions: sessionmaker[Session],
                   read_sessions: sessionmaker[Session]) -> KeywordIndex:
    sqlite = engine.dialect.name == "sqlite"
    if not settings.uses_tantivy:
        return Fts5KeywordIndex() if sqlite else PostgresKeywordIndex()
    # Loaded only when chosen, as redis and Celery are: the database's engine never pays it.
    if sqlite:
        from casework.search.tantivy_index import TantivyKeywordIndex

        return TantivyKeywordIndex(directory=settings.index_dir / "keyword",
                                   sessions=sessions, read_sessions=read_sessions)
    from casework.search.tantivy_postgres import PostgresTantivyIndex

    return PostgresTantivyIndex(directory=settings.index_dir / "keyword", sessions=sessions,
                                read_sessions=read_sessions)


def build_runtime(settings: Settings, *, embedder: Embedder | None = None,
                  registry: JobRegistry | None = None) -> Runtime:
    """Create every resource from the settings. Cheap: no model is loaded here.

    `registry` is the job table the Celery queue runs (scale-out); the embedded pool gets
    it from `start_workers`. Settings are never changed: whether semantic search can serve
    is `Runtime.semantic_available`.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    apply_pixel_limit(settings.max_image_pixels)
    limit_malloc_arenas(settings.malloc_arenas)  # before any job or pool thread starts
    engine = _engine(settings)
    sessions = build_session_factory(engine)
    read_sessions = build_session_factory(engine, readonly=True)
    embedder = embedder or build_embedder(settings)
    keyword_index = _keyword_index(settings, engine, sessions, read_sessions)
    vector_index, semantic_off = _vector_index(settings, engine, sessions, read_sessions,
                                               embedder)
    redis_client = job_queue = search_cache = None
    if settings.redis_url:
        redis_client = _redis_client(settings)
        search_cache = SearchCache(redis_client, namespace=settings.redis_namespace,
                                   ttl_seconds=settings.search_cache_seconds)
        job_queue = build_job_queue(settings, registry or build_job_registry(settings),
                                    redis_client=redis_client)
    runtime = Runtime(
        settings=settings, engine=engine, sessions=sessions, read_sessions=read_sessions,
        blobs=_blob_store(settings), keyword_index=keyword_index,
        vector_index=vector_index, embedder=embedder,
        usage=UsageMeter(sessions, key=settings.secret_key.get_secret_value()),
        redis=redis_client, job_queue=job_queue, search_cache=search_cache,
        answer_cache=AnswerCache(ttl_seconds=settings.ask_cache_seconds,
                                 max_entries=settings.ask_cache_entries, shared=search_cache),
        semantic_off_reason=semantic_off, planner_statistics=PlannerStatistics(engine),
        limiter=RateLimiter(settings.rate_limit_storage_url), mailer=build_mailer(settings),
        sandbox=SandboxPool(settings), vector_upgrade=_vector_upgrade(settings, engine),
    )
    # Cached search results (Redis) and answers (Redis or this process) are retired by the
    # commits that change a workspace's content.
    track_changes(sessions, runtime.content_changed)
    return runtime


def start_workers(runtime: Runtime, registry: JobRegistry | None = None, *,
                  band: tuple[int, int] | None = None) -> bool:
    """Start in-process workers unless another process on this DATA_DIR already runs them.

    `band` limits them to jobs of those priorities (lowest, highest); the rest stay queued
    for the next process that runs every kind."""
    if runtime.job_queue is not None:
        log.info("jobs run on Celery workers (REDIS_URL is set): `casework worker`")
        return False
    if runtime.settings.worker_threads == 0:
        return False
    lock = ProcessLock(runtime.settings.data_dir / "worker.lock")
    if not lock.acquire():
        log.info("another casework process runs the workers for %s", runtime.settings.data_dir)
        return False
    pool = WorkerPool(runtime, registry or build_job_registry(runtime.settings),
                      threads=runtime.settings.worker_threads, lock=lock, band=band)
    pool.start()
    runtime.workers = pool
    runtime.keyword_index.start()  # tantivy's indexer: the one writer, beside the workers
    return True


@dataclass(frozen=True, slots=True)
class Prepared:
    """What a start did besides migrating, for `casework migrate` to report."""

    vector_table: VectorTable | None
    queued: QueuedEmbeddings
    # Near-duplicate signature jobs queued per workspace id (documents stored before the
    # feature, or whose job failed: neardup/backfill.py).
    signing: dict[str, int] = field(default_factory=dict)


def prepare(runtime: Runtime) -> Prepared:
    """Migrate, make sure the default workspace and the first owner exist (idempotent).

    Also sets up pgvector if the server offers it now and queues the embeddings skipped
    while semantic search was off: what changed on the server since the last start counts.
    And queues near-duplicate signing for documents without a signature (an upgrade).
    """
    migrate.upgrade(runtime.engine)
    if runtime.planner_statistics is not None:
        runtime.planner_statistics.refresh()  # a database grown by an older version
    vector_table = settle_vector_index(runtime)
    with transaction(runtime.sessions) as session:
        runtime.keyword_index.prepare(session)
        workspaces_service.ensure_default_workspace(
            session=session, name=runtime.settings.default_workspace_name)
        rechunking = queue_rechunking(session=session, runtime=runtime)
        queued = queue_skipped_embeddings(session=session, runtime=runtime)
    if rechunking:
        log.info("queued re-chunking of %d documents and notes cut by an older chunker",
                 rechunking)
    if queued.documents or queued.notes:
        log.info("semantic search is on: queued embedding of %d documents and %d notes "
                 "indexed while it was off", queued.documents, queued.notes)
    # In committed batches of its own (after the transaction above): 100,000 documents
    # stored before near-duplicates existed must not hold SQLite's writer in one go.
    signing = queue_all_unsigned(runtime=runtime)
    if signing:
        log.info("queued near-duplicate signing of %d documents without a signature",
                 sum(signing.values()))
    bootstrap_accounts(runtime)
    return Prepared(vector_table=vector_table, queued=queued, signing=signing)
