"""The embedding jobs: a document's or a note's chunks to vectors, after they are keyword-
searchable (the bulk queue, behind every interactive job)."""

from __future__ import annotations

from casework.core.database import transaction
from casework.core.scoping import find_scoped
from casework.documents.models import Document, EmbeddingStatus
from casework.jobs.handlers import JobContext
from casework.search import indexing


def embed_document(ctx: JobContext) -> None:
    workspace_id = ctx.workspace_id or ""
    document_id = ctx.payload["document_id"]
    if not ctx.runtime.semantic_available:
        # Queued while semantic search was on: with it off no model may load. `skipped`
        # is what the backlog re-queues once it is on again (ingest/backlog.py).
        _mark_embedding(ctx, EmbeddingStatus.skipped)
        return
    with ctx.runtime.metrics.time_stage("embed"):
        indexing.embed_chunks(runtime=ctx.runtime, workspace_id=workspace_id,
                              document_id=document_id, progress=ctx.report_progress)
    _mark_embedding(ctx, EmbeddingStatus.ready)


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

