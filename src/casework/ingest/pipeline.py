"""The ingestion pipeline, top to bottom.

    upload → sniff → dedupe → store original        (ingest.service, at request time)
    check → [open → members → extract (text layer, else OCR)]  (parser sandbox)
          → chunk → keyword index → members → ready   (process_document, interactive job)
    [derive previews] → store previews → previews ready   (derive_previews, ingest/previews.py)
    embed → vector index → embedding ready          (embed_document, bulk job)
    entities → mentions                             (extract_entities, bulk job)

Each stage is idempotent: a rerun replaces what a previous attempt wrote, so a job that is
retried after a crash or a SIGKILL loses and duplicates nothing. A document is keyword-
searchable as soon as the first job commits; its vectors follow.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casework.core.database import transaction, utcnow
from casework.core.errors import CaseworkError
from casework.core.scoping import find_scoped
from casework.core.settings import Settings
from casework.documents import blobs as document_blobs
from casework.documents.models import (
    Document,
    DocumentPage,
    DocumentStatus,
    EmbeddingStatus,
    PreviewStatus,
)
from casework.entities import service as entities_service
from casework.entities.job_kinds import EXTRACT_ENTITIES
from casework.ingest import containers, messages
from casework.ingest.job_kinds import DERIVE_PREVIEWS
from casework.ingest.pagespool import PageSpool
from casework.ingest.parsers import parser_for
from casework.ingest.sandbox import ExtractionResult, SandboxFailure
from casework.jobs import service as jobs_service
from casework.jobs.handlers import JobContext, PermanentJobError
from casework.jobs.models import JobPriority
from casework.media import service as media_service
from casework.media.derive import has_previews
from casework.neardup.job_kinds import FIND_NEAR_DUPLICATES
from casework.runtime import Runtime
from casework.saved_searches import service as saved_searches
from casework.search import indexing
from casework.search.boilerplate import repeated_lines
from casework.search.chunking import (
    CHUNKER_VERSION,
    Chunker,
    Passage,
    chunker_for,
    normalize_page_text,
)
from casework.search.job_kinds import EMBED_DOCUMENT
from casework.storage.blobstore import local_copy, original_key
from casework.webhooks import service as webhooks_service
from casework.webhooks.events import WebhookEvent

log = logging.getLogger(__name__)

COMMIT_CHUNKS = 1000  # chunk rows per transaction: under a second of the write lock
COMMIT_PAGES = 200  # pages per transaction, for documents of short pages
TOKENIZE_PAGES = 16  # pages per tokenizer call (a batch may pass COMMIT_CHUNKS by that)


def _job_document(session: Session, ctx: JobContext) -> Document | None:
    """The document a job names, in the job's workspace; None once it has been deleted."""
    return find_scoped(session, Document, ctx.workspace_id or "", ctx.payload["document_id"])


def _start_processing(ctx: JobContext) -> Document | None:
    with transaction(ctx.runtime.sessions) as session:
        document = _job_document(session, ctx)
        if document is None:
            return None  # deleted while queued: nothing to do
        document.status = DocumentStatus.processing
        document.error = None
        session.flush()
        session.expunge(document)
        return document


def process_document(ctx: JobContext) -> None:
    """Extract every page (OCR where there is no text layer), index; ready; queue previews.

    Opening and extracting run in a sandboxed parser process (ingest/sandbox.py): a file
    built to exhaust memory or time fails with a reason instead of taking the server down.
    The server then indexes the spooled pages. Previews are drawn by a later job
    (ingest/previews.py), so text is searchable first (docs/benchmarks.md#first-result).
    """
    runtime = ctx.runtime
    workspace_id = ctx.workspace_id or ""
    document_id = ctx.payload["document_id"]
    document = _start_processing(ctx)
    if document is None:
        return
    if parser_for(document.media_type) is None:
        raise PermanentJobError(f"casework cannot read {document.media_type} files")
    settings = runtime.settings
    with transaction(runtime.read_sessions) as session:
        depth = containers.container_depth(session, document, limit=settings.container_max_depth)
    key = original_key(workspace_id, document.sha256)
    stage = runtime.metrics.time_stage
    with local_copy(runtime.blobs, key, settings.tmp_dir) as path, \
            PageSpool(settings.tmp_dir) as spool, \
            tempfile.TemporaryDirectory(dir=settings.tmp_dir, prefix="extracted-") as made, \
            tidy_if_deleted(runtime, document):
        _check_original(path, document.media_type, settings)
        extracted = _extract(runtime, document, path, spool, Path(made),
                             expand_members=depth < settings.container_max_depth)
        ctx.raise_if_cancelled()  # deleted meanwhile: stop between stages
        mail = messages.mail_facts(extracted)
        copy_of = messages.copy_of(runtime, document, mail)
        with stage("index"):
            chunks = _replace_pages(runtime, document, spool) if copy_of is None else 0
        if chunks is None:
            return  # deleted meanwhile; deleting took the pages written so far with it
        members = None
        if copy_of is None and extracted.manifest is not None:
            with stage("index"):  # in batches, each its own transaction
                members = containers.store_members(runtime=runtime, document=document,
                                                   extracted=extracted, made=Path(made))
            if members.gone:
                return  # deleted meanwhile: the batches stop there
        with stage("index"), transaction(runtime.sessions) as session:
            stored = session.get(Document, document_id)
            if stored is None:
                return  # deleted meanwhile
            if mail is not None:
                copy_of = messages.record_message(session, runtime, stored, mail)
                if copy_of is not None and chunks:
                    _remove_pages(session, runtime, stored)  # a copy indexed at once
                    chunks = 0
            metadata = {**extracted.metadata, "chunks": chunks}
            if copy_of is not None:
                metadata["duplicate_of"] = copy_of
            if extracted.ocr is not None:
                metadata["ocr"] = extracted.ocr
            if members is not None and members.listed and extracted.members_via == "attachment":
                metadata["attachments"] = members.listed  # as e-mail documents have always had
            if extracted.members:
                metadata["container"] = containers.container_metadata(extracted, members)
            _mark_ready(session, runtime, stored, extracted, spool.count, metadata)


@contextmanager
def tidy_if_deleted(runtime: Runtime, document: Document) -> Iterator[None]:
    """However the job ends: if its document was deleted meanwhile, remove the previews
    this job wrote after the delete removed the document's files (no orphan blobs)."""
    try:
        yield
    finally:
        try:
            with transaction(runtime.read_sessions) as session:
                gone = not _still_there(session, document)
            if gone:
                document_blobs.drop_if_unreferenced(runtime=runtime,
                                                    workspace_id=document.workspace_id,
                                                    sha256=document.sha256)
        except Exception:  # never hide the job's own outcome behind a tidying error
            log.warning("could not tidy up after deleted document %s", document.id,
                        exc_info=True)


# --- the stages, in the order process_document runs them --------------------------------

def _check_original(path: Path, media_type: str, settings: Settings) -> None:
    """Refuse what must not be decoded (a pixel bomb) before any stage touches it."""
    try:
        media_service.check_upload(path=path, media_type=media_type, settings=settings)
    except CaseworkError as exc:
        raise PermanentJobError(exc.message) from None


def _extract(runtime: Runtime, document: Document, path: Path, spool: PageSpool,
             made: Path, *, expand_members: bool) -> ExtractionResult:
    """Open, extract every page (OCR), derive previews: in a parser process, with limits.

    Every failure is permanent: the same bytes break the same limit on every attempt.
    """
    try:
        extracted = runtime.sandbox.extract(path=path, media_type=document.media_type,
                                            spool=spool.path, out_dir=made,
                                            expand_members=expand_members)
    except SandboxFailure as exc:
        _observe_stages(runtime, exc.stage_seconds)
        raise PermanentJobError(str(exc)) from None
    _observe_stages(runtime, extracted.stage_seconds)
    spool.count = extracted.pages
    return extracted


def _observe_stages(runtime: Runtime, stage_seconds: dict[str, float]) -> None:
    """The parser process's open, extract and previews stages, as the metrics know them."""
    for name, seconds in stage_seconds.items():
        runtime.metrics.observe_stage(name, seconds)


def _replace_pages(runtime: Runtime, document: Document, spool: PageSpool) -> int | None:
    """Replace whatever an earlier attempt wrote (the rerun is the truth); chunk; index.

    Commits every `COMMIT_CHUNKS` chunks rather than once: SQLite has one writer, and a
    200 MB text file's 310,000 chunks in one transaction held the write lock for minutes,
    so other writers (uploads, other jobs) gave up after their 30 s busy timeout. The cost
    is that a long document's first pages are searchable while the rest is still being
    written (its status says `processing`); a retry replaces them and a failure removes
    them (`document_failed`). Returns the number of chunks, or None if the document was
    deleted meanwhile.
    """
    settings = runtime.settings
    workspace_id, document_id = document.workspace_id, document.id
    repeated = repeated_lines(normalize_page_text(text) for _, text in spool.read())
    chunker = chunker_for(settings)
    pages = spool.read()
    chunks = 0
    batch = _next_batch(pages, chunker, repeated)
    first = True  # the earlier attempt goes in the first batch (most documents have one)
    while first or batch:
        with transaction(runtime.sessions) as session:
            if not _still_there(session, document):
                return None
            if first:
                _remove_pages(session, runtime, document)
                session.execute(update(Document).where(Document.id == document_id)
                                .values(chunker_version=CHUNKER_VERSION))
                first = False
            for number, text, passages in batch:
                session.add(DocumentPage(workspace_id=workspace_id, document_id=document_id,
                                         number=number, text=text))
                chunks += indexing.write_chunks(
                    session=session, workspace_id=workspace_id, document_id=document_id,
                    passages=passages)
        batch = _next_batch(pages, chunker, repeated)
    return chunks


def _next_batch(pages: Iterator[tuple[int, str]], chunker: Chunker, repeated: frozenset[str]
                ) -> list[tuple[int, str, list[Passage]]]:
    """The next pages to commit together, normalised and split before any lock is taken.

    Splitting outside the transaction is a fifth of the work, so SQLite's write lock is
    free that long between batches and other writers get their turn. Pages are split
    TOKENIZE_PAGES at a time: one tokenizer call, run outside Python's lock.
    """
    batch: list[tuple[int, str, list[Passage]]] = []
    in_batch = 0
    while in_batch < COMMIT_CHUNKS and len(batch) < COMMIT_PAGES:
        group = [(number, normalize_page_text(raw))
                 for number, raw in islice(pages, TOKENIZE_PAGES)]
        if not group:
            break
        for (number, text), passages in zip(
                group, chunker.chunk_pages(group, repeated=repeated), strict=True):
            batch.append((number, text, passages))
            in_batch += len(passages)
    return batch


def _still_there(session: Session, document: Document) -> bool:
    return session.scalar(select(Document.id).where(
        Document.workspace_id == document.workspace_id, Document.id == document.id)) is not None


def _remove_pages(session: Session, runtime: Runtime, document: Document) -> None:
    """The document's pages, chunks and entity mentions (and, after commit, its vectors)."""
    entities_service.remove_document_mentions(session=session,
                                              workspace_id=document.workspace_id,
                                              document_id=document.id)
    indexing.remove_chunks(session=session, runtime=runtime,
                           workspace_id=document.workspace_id, document_id=document.id)
    session.query(DocumentPage).filter(
        DocumentPage.workspace_id == document.workspace_id,
        DocumentPage.document_id == document.id).delete()


def _mark_ready(session: Session, runtime: Runtime, stored: Document,
                parsed: ExtractionResult, pages: int, metadata: dict[str, Any]) -> None:
    settings = runtime.settings
    stored.status = DocumentStatus.ready
    stored.page_count = parsed.page_count or pages
    stored.title = (parsed.title or "").strip()[:500] or None
    stored.metadata_json = metadata
    stored.captured_at = parsed.captured_at
    stored.width, stored.height = parsed.width, parsed.height
    stored.duration_seconds = parsed.duration_seconds
    stored.processed_at = utcnow()
    stored.error = None
    def queue(kind: str, priority: int) -> None:
        jobs_service.enqueue(
            session=session, kind=kind, payload={"document_id": stored.id},
            workspace_id=stored.workspace_id, priority=priority,
            max_attempts=settings.job_max_attempts, notify=runtime.notify_jobs)

    stored.preview_status = PreviewStatus.none
    if has_previews(stored.media_type):
        # Pictures after the text: behind every waiting upload's text, before vectors.
        stored.preview_status = PreviewStatus.pending
        queue(DERIVE_PREVIEWS, JobPriority.derived)
    stored.embedding_status = EmbeddingStatus.skipped
    if metadata["chunks"] and runtime.semantic_available:
        stored.embedding_status = EmbeddingStatus.pending
        queue(EMBED_DOCUMENT, JobPriority.bulk)
    if settings.entity_extraction and pages:
        # Entities read the stored pages once the text is searchable, behind the vectors:
        # on dense text they cost about a third of an ingest (docs/benchmarks.md#entities).
        queue(EXTRACT_ENTITIES, JobPriority.enrich)
    if pages:
        # Near-duplicates compare the stored text: cheap (a hash per word pair), behind
        # the vectors like entities (docs/near-duplicates.md).
        queue(FIND_NEAR_DUPLICATES, JobPriority.enrich)
    saved_searches.queue_alert_check(session=session, document=stored,
                                     max_attempts=settings.job_max_attempts,
                                     notify=runtime.notify_jobs)
    _announce(session, runtime, stored, WebhookEvent.document_ready)


def document_failed(ctx: JobContext, reason: str) -> None:
    """The last attempt failed: say so on the document, keep the original."""
    with transaction(ctx.runtime.sessions) as session:
        document = _job_document(session, ctx)
        if document is not None:
            document.status = DocumentStatus.failed
            document.error = reason
            _remove_pages(session, ctx.runtime, document)  # none half-searchable
            _announce(session, ctx.runtime, document, WebhookEvent.document_failed)


def _announce(session: Session, runtime: Runtime, document: Document,
              event: WebhookEvent) -> None:
    """Webhooks hear of a document's end state in the transaction that sets it: these two
    functions are the only places a document becomes ready or failed."""
    webhooks_service.emit(
        session=session, workspace_id=document.workspace_id, event=event,
        notify=runtime.notify_jobs,
        payload={"document_id": document.id, "collection_id": document.collection_id,
                 "filename": document.filename, "media_type": document.media_type,
                 "size_bytes": document.size_bytes, "sha256": document.sha256,
                 "status": str(document.status), "page_count": document.page_count,
                 "error": document.error})
