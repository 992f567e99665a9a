"""Embedding work skipped while semantic search was off, queued once it is on.

Semantic search can come on after content arrived: pgvector installed on the server later,
or SEMANTIC_SEARCH switched back on. Documents indexed meanwhile are `skipped` and notes
have chunks without vectors; without this they would stay invisible to semantic search.
Called at every start (after migrating); cheap when there is nothing to do, and safe when
several processes start at once (the claim is an UPDATE of `skipped` rows, re-checked by
the database under the row lock, plus an advisory lock on PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select, text, update
from sqlalchemy.orm import Session

from casework.documents.models import Document, DocumentStatus, EmbeddingStatus
from casework.jobs import service as jobs_service
from casework.jobs.models import Job, JobPriority, JobStatus
from casework.runtime import Runtime
from casework.search.chunking import CHUNKER_VERSION
from casework.search.job_kinds import EMBED_DOCUMENT, EMBED_NOTE
from casework.search.models import Chunk, Embedding

LOCK_KEY = 0x63617365_626B6C67  # "casebklg": one process queues the backlog at a time


@dataclass(frozen=True, slots=True)
class QueuedEmbeddings:
    documents: int = 0
    notes: int = 0


def queue_skipped_embeddings(*, session: Session, runtime: Runtime) -> QueuedEmbeddings:
    """Queue embed jobs for ready documents marked `skipped` and notes missing vectors."""
    if not runtime.semantic_available:
        return QueuedEmbeddings()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    settings = runtime.settings
    documents = session.execute(
        update(Document)
        .where(Document.status == DocumentStatus.ready,
               Document.embedding_status == EmbeddingStatus.skipped,
               # re-chunking queues their embedding once their new chunks are written
               Document.chunker_version >= CHUNKER_VERSION,
               exists().where(Chunk.document_id == Document.id))
        .values(embedding_status=EmbeddingStatus.pending)
        .returning(Document.id, Document.workspace_id)
        .execution_options(synchronize_session=False)).all()
    for document_id, workspace_id in documents:
        jobs_service.enqueue(
            session=session, kind=EMBED_DOCUMENT, payload={"document_id": document_id},
            workspace_id=workspace_id, priority=JobPriority.bulk,
            max_attempts=settings.job_max_attempts, notify=runtime.notify_jobs)
    notes = session.execute(
        select(Chunk.note_id, Chunk.workspace_id).distinct()
        .where(Chunk.note_id.is_not(None),
               ~exists().where(Embedding.workspace_id == Chunk.workspace_id,
                               Embedding.content_hash == Chunk.content_hash,
                               Embedding.model == runtime.embedder.name),
               ~exists().where(Job.kind == EMBED_NOTE,
                               Job.status.in_([JobStatus.queued, JobStatus.running]),
                               Job.payload["note_id"].as_string() == Chunk.note_id))).all()
    for note_id, workspace_id in notes:
        jobs_service.enqueue(
            session=session, kind=EMBED_NOTE, payload={"note_id": note_id},
            workspace_id=workspace_id, priority=JobPriority.bulk,
            max_attempts=settings.job_max_attempts, notify=runtime.notify_jobs)
    return QueuedEmbeddings(documents=len(documents), notes=len(notes))
