"""Re-chunking documents and notes an older chunker cut, in the background, one per job.

Documents ingested before passages were measured in the model's tokens have chunks whose
tail the model never read (search/chunking.py). At every start (after migrating) each ready
document whose `chunker_version` is older gets a `rechunk_document` job, unless one is
already queued or running, so a restart part-way through queues only what is left and
never a job twice. The job re-cuts the stored page text (no re-parsing, no OCR) and swaps
the document's chunks in one transaction: until it commits the old chunks answer searches,
after it the new ones do (keyword search at once; semantic search once the embed job it
queues has run - chunks whose text was embedded before get their vector back at once).
Notes get a `rechunk_note` job the same way; they are short, so the note service re-cuts
one in a single transaction as an edit would, keeping its `updated_at`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select, text
from sqlalchemy.orm import Session

from casework.core.database import transaction
from casework.core.scoping import scoped
from casework.documents.models import Document, DocumentPage, DocumentStatus, EmbeddingStatus
from casework.ingest.job_kinds import RECHUNK_DOCUMENT, RECHUNK_NOTE
from casework.jobs import service as jobs_service
from casework.jobs.handlers import JobContext
from casework.jobs.models import Job, JobPriority, JobStatus
from casework.notes import service as notes_service
from casework.notes.models import Note
from casework.runtime import Runtime
from casework.search import indexing
from casework.search.boilerplate import repeated_lines
from casework.search.chunking import CHUNKER_VERSION, Passage, chunker_for
from casework.search.job_kinds import EMBED_DOCUMENT

LOCK_KEY = 0x63617365_72636E6B  # "casercnk": one process queues re-chunking at a time


def queue_rechunking(*, session: Session, runtime: Runtime) -> int:
    """Queue a job for each ready document and note an older chunker cut; how many."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    documents = session.execute(
        select(Document.id, Document.workspace_id)
        .where(Document.status == DocumentStatus.ready,
               Document.chunker_version < CHUNKER_VERSION, ~_queued(RECHUNK_DOCUMENT,
                                                                     "document_id",
                                                                     Document.id))
        .order_by(Document.id)).all()
    notes = session.execute(
        select(Note.id, Note.workspace_id)
        .where(Note.chunker_version < CHUNKER_VERSION,
               ~_queued(RECHUNK_NOTE, "note_id", Note.id))
        .order_by(Note.id)).all()
    for kind, key, rows in ((RECHUNK_DOCUMENT, "document_id", documents),
                            (RECHUNK_NOTE, "note_id", notes)):
        for owner_id, workspace_id in rows:
            jobs_service.enqueue(
                session=session, kind=kind, payload={key: owner_id},
                workspace_id=workspace_id, priority=JobPriority.bulk,
                max_attempts=runtime.settings.job_max_attempts, notify=runtime.notify_jobs)
    return len(documents) + len(notes)


def _queued(kind: str, key: str, owner_id: Any) -> Any:
    """A job of `kind` for this owner is waiting or running: do not queue another."""
    return exists().where(Job.kind == kind,
                          Job.status.in_([JobStatus.queued, JobStatus.running]),
                          Job.payload[key].as_string() == owner_id)


def rechunk_note(ctx: JobContext) -> None:
    """Notes are short: re-cut and swapped in one transaction, as an edit would."""
    with transaction(ctx.runtime.sessions) as session:
        notes_service.rechunk_note(session=session, runtime=ctx.runtime,
                                   workspace_id=ctx.workspace_id or "",
                                   note_id=ctx.payload["note_id"])


def rechunk_document(ctx: JobContext) -> None:
    """Cut the document's stored pages again and swap its chunks in one transaction."""
    runtime = ctx.runtime
    workspace_id = ctx.workspace_id or ""
    document_id = ctx.payload["document_id"]
    with transaction(runtime.read_sessions) as session:
        if _current(session, workspace_id, document_id) is None:
            return
        pages = session.execute(
            select(DocumentPage.number, DocumentPage.text)
            .where(DocumentPage.workspace_id == workspace_id,
                   DocumentPage.document_id == document_id)
            .order_by(DocumentPage.number)).all()
    passages = _cut(runtime, pages)  # outside the write transaction: it is most of the work
    with transaction(runtime.sessions) as session:
        document = _current(session, workspace_id, document_id, lock=True)
        if document is None:
            return  # deleted, re-ingested or re-chunked meanwhile
        indexing.remove_chunks(session=session, runtime=runtime, workspace_id=workspace_id,
                               document_id=document_id)
        count = indexing.write_chunks(session=session, workspace_id=workspace_id,
                                      document_id=document_id, passages=passages)
        document.chunker_version = CHUNKER_VERSION
        document.metadata_json = {**document.metadata_json, "chunks": count}
        settings = runtime.settings
        if count and runtime.semantic_available:
            document.embedding_status = EmbeddingStatus.pending
            jobs_service.enqueue(
                session=session, kind=EMBED_DOCUMENT, payload={"document_id": document_id},
                workspace_id=workspace_id, priority=JobPriority.bulk,
                max_attempts=settings.job_max_attempts, notify=runtime.notify_jobs)
        else:
            document.embedding_status = EmbeddingStatus.skipped
    if count and runtime.semantic_available:
        indexing.index_stored_vectors(runtime=runtime, workspace_id=workspace_id,
                                      document_id=document_id)


def _current(session: Session, workspace_id: str, document_id: str, *,
             lock: bool = False) -> Document | None:
    """The document if it is ready and still cut by an older chunker."""
    query = scoped(Document, workspace_id).where(
        Document.id == document_id, Document.status == DocumentStatus.ready,
        Document.chunker_version < CHUNKER_VERSION)
    return session.scalars(query.with_for_update() if lock else query).first()


def _cut(runtime: Runtime, pages: list) -> list[Passage]:
    repeated = repeated_lines(page_text for _, page_text in pages)
    chunker = chunker_for(runtime.settings)
    return [passage for number, page_text in pages
            for passage in chunker.chunk_page(page_text, page=number, repeated=repeated)]
