"""The ingestion pipeline, top to bottom.

    upload → sniff → dedupe → store original        (ingest.service, at request time)
    extract → chunk → keyword index → ready         (process_document, interactive job)
    embed → vector index → embedding ready          (embed_document, bulk job)

Each stage is idempotent: a rerun replaces what a previous attempt wrote, so a job that is
retried after a crash or a SIGKILL loses and duplicates nothing. A document is keyword-
searchable as soon as the first job commits; its vectors follow.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from casework.core.database import transaction, utcnow
from casework.core.scoping import scoped
from casework.documents.models import Document, DocumentPage, DocumentStatus, EmbeddingStatus
from casework.ingest.chunking import chunk_page, normalize_page_text
from casework.ingest.parsers import ParseError, parser_for
from casework.jobs import service as jobs_service
from casework.jobs.handlers import JobContext, PermanentJobError
from casework.jobs.models import JobPriority
from casework.runtime import Runtime
from casework.search import indexing
from casework.storage.blobstore import BlobStore, original_key

PROCESS_DOCUMENT = "process_document"
EMBED_DOCUMENT = "embed_document"
EMBED_NOTE = "embed_note"
PAGE_INSERT_BATCH = 200


@contextmanager
def local_copy(blobs: BlobStore, key: str, tmp_dir: Path) -> Iterator[Path]:
    """A readable file for parsers: the blob itself on disk, or a streamed temp copy."""
    path = blobs.local_path(key)
    if path is not None:
        yield path
        return
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="extract-")
    try:
        with open(fd, "wb") as out:
            for block in blobs.open_chunks(key):
                out.write(block)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _load(runtime: Runtime, workspace_id: str, document_id: str) -> Document | None:
    with transaction(runtime.sessions) as session:
        document = session.scalars(
            scoped(Document, workspace_id).where(Document.id == document_id)).first()
        if document is None:
            return None  # deleted while queued: nothing to do
        document.status = DocumentStatus.processing
        document.error = None
        session.flush()
        session.expunge(document)
        return document


def process_document(ctx: JobContext) -> None:
    """Extract every page, chunk it and index it; mark the document ready."""
    runtime = ctx.runtime
    workspace_id = ctx.workspace_id or ""
    document_id = ctx.payload["document_id"]
    document = _load(runtime, workspace_id, document_id)
    if document is None:
        return
    parser = parser_for(document.media_type)
    if parser is None:
        raise PermanentJobError(f"casework cannot read {document.media_type} files")
    settings = runtime.settings
    key = original_key(workspace_id, document.sha256)
    stage = runtime.metrics.time_stage
    with local_copy(runtime.blobs, key, settings.tmp_dir) as path:
        try:
            with stage("open"):
                parsed = parser.parse(path)
        except ParseError as exc:
            raise PermanentJobError(str(exc)) from None
        # Pages are parsed lazily, so "extract" covers extraction, chunking and indexing.
        with stage("extract"), transaction(runtime.sessions) as session:
            # Replace whatever an earlier attempt wrote: the rerun is the truth.
            indexing.remove_chunks(session=session, runtime=runtime, workspace_id=workspace_id,
                                   document_id=document_id)
            session.query(DocumentPage).filter(
                DocumentPage.workspace_id == workspace_id,
                DocumentPage.document_id == document_id).delete()
            pages = 0
            chunks = 0
            try:
                for page in parsed.pages:
                    text = normalize_page_text(page.text)
                    session.add(DocumentPage(workspace_id=workspace_id, document_id=document_id,
                                             number=page.number, text=text))
                    chunks += indexing.write_chunks(
                        session=session, workspace_id=workspace_id, document_id=document_id,
                        passages=chunk_page(text, page=page.number, size=settings.chunk_chars,
                                            overlap=settings.chunk_overlap_chars))
                    pages += 1
                    if pages % PAGE_INSERT_BATCH == 0:
                        session.flush()
                        session.expunge_all()
            except ParseError as exc:
                raise PermanentJobError(str(exc)) from None
            stored = session.get(Document, document_id)
            if stored is None:
                return  # deleted meanwhile; rolling back would be equivalent
            stored.status = DocumentStatus.ready
            stored.page_count = parsed.page_count or pages
            stored.title = (parsed.title or "").strip()[:500] or None
            stored.metadata_json = {**parsed.metadata, "chunks": chunks}
            stored.processed_at = utcnow()
            stored.error = None
            if chunks and settings.semantic_search:
                stored.embedding_status = EmbeddingStatus.pending
                jobs_service.enqueue(
                    session=session, kind=EMBED_DOCUMENT, payload={"document_id": document_id},
                    workspace_id=workspace_id, priority=JobPriority.bulk,
                    max_attempts=settings.job_max_attempts, notify=runtime.notify_jobs)
            else:
                stored.embedding_status = EmbeddingStatus.skipped


def document_failed(ctx: JobContext, reason: str) -> None:
    """The last attempt failed: say so on the document, keep the original."""
    with transaction(ctx.runtime.sessions) as session:
        document = session.scalars(scoped(Document, ctx.workspace_id or "").where(
            Document.id == ctx.payload["document_id"])).first()
        if document is not None:
            document.status = DocumentStatus.failed
            document.error = reason


def embed_document(ctx: JobContext) -> None:
    workspace_id = ctx.workspace_id or ""
    document_id = ctx.payload["document_id"]
    with ctx.runtime.metrics.time_stage("embed"):
        indexing.embed_chunks(runtime=ctx.runtime, workspace_id=workspace_id,
                              document_id=document_id, progress=ctx.report_progress)
    with transaction(ctx.runtime.sessions) as session:
        document = session.scalars(scoped(Document, workspace_id).where(
            Document.id == document_id)).first()
        if document is not None:
            document.embedding_status = EmbeddingStatus.ready


def embedding_failed(ctx: JobContext, reason: str) -> None:
    """Vectors failed for good: the document stays keyword-searchable; say why."""
    with transaction(ctx.runtime.sessions) as session:
        document = session.scalars(scoped(Document, ctx.workspace_id or "").where(
            Document.id == ctx.payload["document_id"])).first()
        if document is not None:
            document.embedding_status = EmbeddingStatus.failed
            document.metadata_json = {**document.metadata_json, "embedding_error": reason}


def embed_note(ctx: JobContext) -> None:
    indexing.embed_chunks(runtime=ctx.runtime, workspace_id=ctx.workspace_id or "",
                          note_id=ctx.payload["note_id"], progress=ctx.report_progress)

