"""The process's runtime: settings and every long-lived resource, built once and handed down.

The API (via `app.state`), the CLI and the workers all build a `Runtime` the same way, so
they run the same services on the same seams. Nothing here is a module-level global.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from casework.accounts.mail import LogMailer, Mailer, build_mailer
from casework.core.database import build_engine, build_session_factory, transaction
from casework.core.settings import Settings
from casework.observability.metrics import Metrics
from casework.search.embedder import Embedder, SentenceTransformerEmbedder
from casework.search.keyword_index import Fts5KeywordIndex, KeywordIndex, PostgresKeywordIndex
from casework.search.models import Chunk, Embedding
from casework.search.vector_index import UsearchVectorIndex, VectorIndex
from casework.security.ratelimit import RateLimiter
from casework.storage.blobstore import BlobStore
from casework.storage.local import LocalBlobStore

if TYPE_CHECKING:
    from casework.jobs.handlers import JobHandler
    from casework.jobs.worker import WorkerPool

log = logging.getLogger(__name__)


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
    handlers: dict[str, JobHandler] = field(default_factory=dict)
    workers: WorkerPool | None = None
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter("memory://"))
    mailer: Mailer = field(default_factory=LogMailer)
    metrics: Metrics = field(default_factory=Metrics)

    def notify_jobs(self, job_id: int) -> None:
        """Called after a commit that enqueued a job: wake whoever runs jobs."""
        if self.workers is not None:
            self.workers.notify(job_id)

    def after_job(self) -> None:
        self.vector_index.flush()

    def close(self) -> None:
        if self.workers is not None:
            self.workers.stop()
            self.workers = None
        self.vector_index.flush(force=True)  # type: ignore[call-arg]
        self.engine.dispose()


def _stored_vectors(runtime_sessions: sessionmaker[Session], model: str):
    def load(workspace_id: str) -> tuple[np.ndarray, np.ndarray]:
        with transaction(runtime_sessions) as session:
            rows = session.execute(
                select(Chunk.id, Embedding.vector)
                .join(Embedding, (Embedding.content_hash == Chunk.content_hash)
                      & (Embedding.workspace_id == Chunk.workspace_id))
                .where(Chunk.workspace_id == workspace_id, Embedding.model == model)
            ).all()
        if not rows:
            return np.zeros(0, dtype=np.uint64), np.zeros((0, 0), dtype=np.float32)
        keys = np.fromiter((r[0] for r in rows), dtype=np.uint64, count=len(rows))
        vectors = np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
        return keys, vectors

    return load


def build_runtime(settings: Settings, *, embedder: Embedder | None = None) -> Runtime:
    """Create every resource from the settings. Cheap: no model is loaded here."""
    from casework.jobs.registry import HANDLERS

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    engine = build_engine(settings.resolved_database_url)
    sessions = build_session_factory(engine)
    read_sessions = build_session_factory(engine, readonly=True)
    embedder = embedder or SentenceTransformerEmbedder(
        settings.embedding_model, batch_size=settings.embedding_batch_size,
        max_seq_length=settings.embedding_max_seq_length)
    keyword_index: KeywordIndex = (
        Fts5KeywordIndex() if engine.dialect.name == "sqlite" else PostgresKeywordIndex()
    )
    vector_index = UsearchVectorIndex(
        settings.index_dir / "vectors", dimensions=embedder.dimensions,
        source=_stored_vectors(read_sessions, embedder.name))
    return Runtime(
        settings=settings, engine=engine, sessions=sessions, read_sessions=read_sessions,
        blobs=LocalBlobStore(settings.blob_dir), keyword_index=keyword_index,
        vector_index=vector_index, embedder=embedder, handlers=dict(HANDLERS),
        limiter=RateLimiter(settings.rate_limit_storage_url), mailer=build_mailer(settings),
    )


def start_workers(runtime: Runtime) -> bool:
    """Start in-process workers unless another process on this DATA_DIR already runs them."""
    from casework.jobs.worker import WorkerLock, WorkerPool

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
