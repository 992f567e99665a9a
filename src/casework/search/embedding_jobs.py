"""The embedding jobs: a document's or a note's chunks to vectors, after they are keyword-
searchable (the bulk queue, behind every interactive job)."""

from __future__ import annotations

from casework.core.database import transaction
from casework.core.scoping import find_scoped
from casework.documents.models import Document, EmbeddingStatus
from casework.jobs import service as jobs_service
from casework.jobs.handlers import JobContext
from casework.search import indexing

# Chunks per embedding job: a longer document is embedded by several jobs side by side.
# As one job, the longest manual of a 264-PDF ingest (1,611 pages) kept one core busy for
# minutes after the other had finished everything else (docs/benchmarks.md#first-result).
SPAN_CHUNKS = 1000


def embed_document(ctx: JobContext) -> None:
    """Embed a document's chunks (or one span of them); the job that finds nothing left
    unembedded after its own work marks the document's vectors ready."""
    workspace_id = ctx.workspace_id or ""
    document_id = ctx.payload["document_id"]
    if not ctx.runtime.semantic_available:
        # Queued while semantic search was on: with it off no model may load. `skipped`
        # is what the backlog re-queues once it is on again (ingest/backlog.py).
        _mark_embedding(ctx, EmbeddingStatus.skipped)
        return
    span = ctx.payload.get("span")
    if span is None:
        span = _split(ctx, workspace_id, document_id)
    with ctx.runtime.metrics.time_stage("embed"):
        indexing.embed_chunks(runtime=ctx.runtime, workspace_id=workspace_id,
                              document_id=document_id, span=tuple(span) if span else None,
                              progress=ctx.report_progress)
    # Each span checks after its own commit, so the last one to finish sees all of them.
    if span is None or indexing.fully_embedded(runtime=ctx.runtime, workspace_id=workspace_id,
                                               document_id=document_id):
        _mark_embedding(ctx, EmbeddingStatus.ready)


def _split(ctx: JobContext, workspace_id: str, document_id: str) -> list[int] | None:
    """Keep the first span of a long document and queue a job for each other span; None
    when the document fits one job."""
    spans = indexing.chunk_spans(runtime=ctx.runtime, workspace_id=workspace_id,
                                 document_id=document_id, size=SPAN_CHUNKS)
    if len(spans) <= 1:
        return None
    with transaction(ctx.runtime.sessions) as session:
        jobs_service.fan_out(
            session=session, job_id=ctx.job_id,
            payload={"document_id": document_id, "span": list(spans[0])},
            siblings=[{"document_id": document_id, "span": list(span)} for span in spans[1:]],
            notify=ctx.runtime.notify_jobs)
    return list(spans[0])


def _mark_embedding(ctx: JobContext, status: EmbeddingStatus) -> None:
    with transaction(ctx.runtime.sessions) as session:
        document = find_scoped(session, Document, ctx.workspace_id or "",
                               ctx.payload["document_id"])
        if document is not None:
            document.embedding_status = status


def embedding_failed(ctx: JobContext, reason: str) -> None:
    """Vectors failed for good: the document stays keyword-searchable; say why."""
    with transaction(ctx.runtime.sessions) as session:
        document = find_scoped(session, Document, ctx.workspace_id or "",
                               ctx.payload["document_id"])
        if document is not None:
            document.embedding_status = EmbeddingStatus.failed
            document.metadata_json = {**document.metadata_json, "embedding_error": reason}


def embed_note(ctx: JobContext) -> None:
    if not ctx.runtime.semantic_available:
        return  # queued while it was on; the backlog queues the note again once it is
    indexing.embed_chunks(runtime=ctx.runtime, workspace_id=ctx.workspace_id or "",
                          note_id=ctx.payload["note_id"], progress=ctx.report_progress)

