"""Upload batches and ingest progress: how many documents of a collection (or of one
batch) are at which state and stage, how fast they go, and when they should be done.

A collection's counts come from one GROUP BY over an index holding only the status
columns (the document rows are never read), its times from seeks on an index of when
documents finished (only the recent ones, the last one and the backlog are read), OCR
from a partial index of the documents that needed it. A batch's figures come from one
pass over its own documents. Entities come from the job table, as they have no status
column of their own. docs/ingest-progress.md says what each figure means and what it
costs at case size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, case, func, literal, literal_column, select
from sqlalchemy.orm import Session

from casework.collections import service as collections_service
from casework.core.database import utcnow
from casework.core.scoping import get_scoped, scoped
from casework.documents.models import OCR_STATUS_SQL, Document, DocumentStatus
from casework.entities.job_kinds import EXTRACT_ENTITIES
from casework.jobs.models import Job, JobStatus
from casework.progress.models import IngestBatch, IngestBatchDocument

# Throughput is measured over the documents finished in this window: long enough to smooth
# one slow file out, short enough that the rate follows a worker that was just added.
WINDOW_SECONDS = 300
# Each status column's values, and "blocked": the document's text failed, so the stage
# never starts (its column keeps whatever default it had).
PREVIEW_KEYS = ("pending", "ready", "failed", "none", "blocked")
VECTOR_KEYS = ("pending", "ready", "failed", "skipped", "blocked")


@dataclass(frozen=True, slots=True)
class Scope:
    """The documents a figure covers: a collection's, or the new documents of one batch."""

    workspace_id: str
    collection_id: str
    batch_id: str | None = None

    def where(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = [Document.workspace_id == self.workspace_id,
                                              Document.collection_id == self.collection_id]
        if self.batch_id is not None:
            clauses.append(Document.id.in_(select(IngestBatchDocument.document_id).where(
                IngestBatchDocument.workspace_id == self.workspace_id,
                IngestBatchDocument.batch_id == self.batch_id,
                IngestBatchDocument.duplicate.is_(False))))
        return clauses


# --- batches -----------------------------------------------------------------------------

def open_batch(*, session: Session, workspace_id: str, collection_id: str, via: str,
               file_count: int, user_id: str | None = None, api_key_id: str | None = None,
               label: str | None = None) -> IngestBatch:
    """Record that files are arriving; the caller adds each accepted document with
    `add_to_batch`, in the same transaction or later ones (the CLI stores file by file)."""
    batch = IngestBatch(workspace_id=workspace_id, collection_id=collection_id, via=via,
                        file_count=file_count, created_by_user_id=user_id,
                        created_by_api_key_id=api_key_id,
                        created_by_label=(label or None) and label[:320])
    session.add(batch)
    session.flush()
    return batch


def add_to_batch(*, session: Session, batch_id: str, workspace_id: str, document_id: str,
                 duplicate: bool) -> None:
    """Link a document to the batch that brought it (once, even if sent twice in it)."""
    if session.get(IngestBatchDocument, (batch_id, document_id)) is None:
        session.add(IngestBatchDocument(batch_id=batch_id, document_id=document_id,
                                        workspace_id=workspace_id, duplicate=duplicate))


def get_batch(*, session: Session, workspace_id: str, batch_id: str) -> IngestBatch:
    return get_scoped(session, IngestBatch, workspace_id, batch_id, noun="ingest batch")


def list_batches(*, session: Session, workspace_id: str, collection_id: str, limit: int,
                 offset: int) -> tuple[list[IngestBatch], int]:
    """A collection's batches, newest first."""
    collections_service.get_collection(session=session, workspace_id=workspace_id,
                                       collection_id=collection_id)
    query = scoped(IngestBatch, workspace_id).where(IngestBatch.collection_id == collection_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(IngestBatch.created_at.desc(), IngestBatch.id.desc())
                           .limit(limit).offset(offset))
    return list(rows), total


def batch_counts(*, session: Session, workspace_id: str, batch_id: str) -> tuple[int, int]:
    """(new documents, duplicates) the batch brought."""
    rows = dict(session.execute(
        select(IngestBatchDocument.duplicate, func.count())
        .where(IngestBatchDocument.workspace_id == workspace_id,
               IngestBatchDocument.batch_id == batch_id)
        .group_by(IngestBatchDocument.duplicate)).all())
    return int(rows.get(False, 0)), int(rows.get(True, 0))


def collection_scope(*, session: Session, workspace_id: str, collection_id: str) -> Scope:
    collection = collections_service.get_collection(session=session, workspace_id=workspace_id,
                                                    collection_id=collection_id)
    return Scope(workspace_id=workspace_id, collection_id=collection.id)


def batch_scope(*, session: Session, workspace_id: str, batch_id: str) -> Scope:
    batch = get_batch(session=session, workspace_id=workspace_id, batch_id=batch_id)
    return Scope(workspace_id=workspace_id, collection_id=batch.collection_id,
                 batch_id=batch.id)


# --- progress ----------------------------------------------------------------------------

@dataclass
class Progress:
    """Counts by state and stage, throughput and ETA; `as_dict` is the API's shape."""

    total: int = 0
    states: dict[str, int] = field(default_factory=dict)
    previews: dict[str, int] = field(default_factory=dict)
    vectors: dict[str, int] = field(default_factory=dict)
    ocr: dict[str, int] = field(default_factory=dict)
    entities: dict[str, Any] = field(default_factory=dict)
    finished_in_window: int = 0
    active_since: datetime | None = None
    started_at: datetime | None = None
    last_finished_at: datetime | None = None
    now: datetime = field(default_factory=utcnow)

    @property
    def remaining(self) -> int:
        return self.states.get("queued", 0) + self.states.get("processing", 0)

    @property
    def rate(self) -> float:
        """Documents per second over the window (or since work began, if more recent)."""
        if not self.finished_in_window:
            return 0.0
        since = self.now - timedelta(seconds=WINDOW_SECONDS)
        if self.active_since is not None and self.active_since > since:
            since = self.active_since
        return self.finished_in_window / max((self.now - since).total_seconds(), 1.0)

    def as_dict(self) -> dict[str, Any]:
        rate, remaining = self.rate, self.remaining
        done = remaining == 0 and self.vectors.get("pending", 0) == 0 \
            and self.previews.get("pending", 0) == 0 and not self.entities.get("pending")
        return {
            "total": self.total, "states": self.states,
            "stages": {
                "stored": self.total,
                "text": {"pending": remaining, "ready": self.states["ready"],
                         "failed": self.states["failed"]},
                "ocr": {"needed": sum(self.ocr.values()), **self.ocr},
                "previews": self.previews, "vectors": self.vectors, "entities": self.entities,
            },
            "throughput": {"documents_per_second": round(rate, 3),
                           "window_seconds": WINDOW_SECONDS,
                           "finished_in_window": self.finished_in_window},
            "eta_seconds": round(remaining / rate) if remaining and rate else None,
            "started_at": self.started_at,
            "finished_at": self.last_finished_at if done else None,
            "done": done,
        }


def measure(*, session: Session, scope: Scope, entity_extraction: bool) -> Progress:
    """The scope's progress: a collection's from its indexes, a batch's in one pass over
    its own documents; then entities, from their jobs."""
    progress = Progress(states=dict.fromkeys(map(str, DocumentStatus), 0),
                        previews=dict.fromkeys(PREVIEW_KEYS, 0),
                        vectors=dict.fromkeys(VECTOR_KEYS, 0))
    if scope.batch_id is None:
        _measure_collection(session, scope, progress)
    else:
        _measure_batch(session, scope, progress)
    progress.entities = _entities(session, scope, progress, enabled=entity_extraction)
    return progress


def _count(progress: Progress, status: str, previews: str, vectors: str, count: int) -> None:
    progress.total += count
    progress.states[str(status)] = progress.states.get(str(status), 0) + count
    if status == DocumentStatus.failed:  # no text: the later stages never start
        previews = vectors = "blocked"
    progress.previews[str(previews)] = progress.previews.get(str(previews), 0) + count
    progress.vectors[str(vectors)] = progress.vectors.get(str(vectors), 0) + count


def _measure_collection(session: Session, scope: Scope, progress: Progress) -> None:
    """Counts by state and stage from ix_document_stages alone (the rows are not read),
    then only what the counts say is there: times of the finished and the waiting, OCR."""
    where = scope.where()
    for status, previews, vectors, count in session.execute(
            select(Document.status, Document.preview_status, Document.embedding_status,
                   func.count()).where(*where)
            .group_by(Document.status, Document.preview_status, Document.embedding_status)):
        _count(progress, status, previews, vectors, count)
    if progress.total:
        _times(session, where, progress)
        progress.ocr = _ocr(session, where)


def _times(session: Session, where: list[ColumnElement[bool]], progress: Progress) -> None:
    """When work started, how much finished in the window and since when work has been
    going on (for the rate), and when the last document finished. A document finishes
    its text stage at processed_at if ready, at updated_at if failed."""
    since = progress.now - timedelta(seconds=WINDOW_SECONDS)
    progress.started_at = session.scalar(select(func.min(Document.created_at)).where(*where))
    active: list[datetime | None] = []
    if progress.states["ready"]:
        # A literal 'ready', as the partial index ix_document_ready's condition is written.
        ready = [*where, Document.status == literal("ready", literal_execute=True)]
        recent, first = session.execute(select(func.count(), func.min(Document.created_at))
                                        .where(*ready, Document.processed_at >= since)).one()
        progress.finished_in_window += int(recent or 0)
        active.append(first)
        progress.last_finished_at = session.scalar(
            select(func.max(Document.processed_at)).where(*ready))
    if progress.states["failed"]:  # the failing few: their rows are read
        in_window = Document.updated_at >= since
        recent, first, last = session.execute(
            select(func.count(case((in_window, 1))),
                   func.min(case((in_window, Document.created_at))),
                   func.max(Document.updated_at))
            .where(*where, Document.status == DocumentStatus.failed)).one()
        progress.finished_in_window += int(recent or 0)
        active.append(first)
        progress.last_finished_at = _latest(progress.last_finished_at, last)
    if progress.remaining:
        active.append(session.scalar(select(func.min(Document.created_at)).where(
            *where, Document.status.in_([DocumentStatus.queued, DocumentStatus.processing]))))
    for moment in active:
        progress.active_since = _earliest(progress.active_since, moment)


def _ocr(session: Session, where: list[ColumnElement[bool]]) -> dict[str, int]:
    """Documents that needed OCR, by how it went: their rows are read, found through
    ix_document_ocr, whose condition the query must spell alike (OCR_STATUS_SQL)."""
    status = literal_column(OCR_STATUS_SQL[session.get_bind().dialect.name], String)
    return {str(key): int(count) for key, count in session.execute(
        select(status, func.count()).where(*where, status.is_not(None)).group_by(status))
        if key}


def _measure_batch(session: Session, scope: Scope, progress: Progress) -> None:
    """A batch holds what one upload or one `casework ingest` run brought: one pass over
    its documents, reached from its own rows (a collection's index would walk them all)."""
    since = progress.now - timedelta(seconds=WINDOW_SECONDS)
    finished = case((Document.status == DocumentStatus.ready, Document.processed_at),
                    (Document.status == DocumentStatus.failed, Document.updated_at))
    waiting = Document.status.in_([DocumentStatus.queued, DocumentStatus.processing])
    ocr = Document.metadata_json[("ocr", "status")].as_string()
    rows = session.execute(
        select(Document.status, Document.preview_status, Document.embedding_status, ocr,
               func.count(), func.count(case((finished >= since, 1))),
               func.min(case((waiting | (finished >= since), Document.created_at))),
               func.min(Document.created_at), func.max(finished))
        .select_from(IngestBatchDocument)
        .join(Document, Document.id == IngestBatchDocument.document_id)
        .where(IngestBatchDocument.workspace_id == scope.workspace_id,
               IngestBatchDocument.batch_id == scope.batch_id,
               IngestBatchDocument.duplicate.is_(False),
               Document.workspace_id == scope.workspace_id,
               Document.collection_id == scope.collection_id)
        .group_by(Document.status, Document.preview_status, Document.embedding_status, ocr))
    for status, previews, vectors, ocr_status, count, recent, active, first, last in rows:
        _count(progress, status, previews, vectors, count)
        if ocr_status:
            progress.ocr[ocr_status] = progress.ocr.get(ocr_status, 0) + count
        progress.finished_in_window += int(recent or 0)
        progress.active_since = _earliest(progress.active_since, active)
        progress.started_at = _earliest(progress.started_at, first)
        progress.last_finished_at = _latest(progress.last_finished_at, last)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _entities(session: Session, scope: Scope, progress: Progress, *,
              enabled: bool) -> dict[str, Any]:
    """Entities have no status column: pending and failed come from their jobs (queued or
    running, and failed with no newer job for the document); the rest of the documents
    with text are done. A long document's several span jobs count it once."""
    document_id = Job.payload["document_id"].as_string()
    in_scope = document_id.in_(select(Document.id).where(*scope.where()))
    counts = dict(session.execute(
        select(Job.status, func.count(func.distinct(document_id)))
        .where(Job.workspace_id == scope.workspace_id, Job.kind == EXTRACT_ENTITIES,
               Job.status.in_([JobStatus.queued, JobStatus.running, JobStatus.failed]),
               in_scope)
        .group_by(Job.status)).all())
    pending = int(counts.get(JobStatus.queued, 0)) + int(counts.get(JobStatus.running, 0))
    failed = int(counts.get(JobStatus.failed, 0))
    if failed:
        failed = len(failed_entity_documents(session=session, scope=scope))
    done = max(progress.states.get("ready", 0) - pending - failed, 0) if enabled else 0
    return {"enabled": enabled, "pending": pending, "failed": failed, "done": done}


def failed_entity_documents(*, session: Session, scope: Scope) -> dict[str, Job]:
    """Each document in scope whose latest entity job failed, with that job (failed jobs
    are few: two small queries, rather than a correlated self-join over JSON)."""
    document_id = Job.payload["document_id"].as_string()
    failed = session.execute(
        select(document_id, Job).where(
            Job.workspace_id == scope.workspace_id, Job.kind == EXTRACT_ENTITIES,
            Job.status == JobStatus.failed,
            document_id.in_(select(Document.id).where(*scope.where())))
        .order_by(Job.id)).all()
    latest: dict[str, Job] = {doc: job for doc, job in failed}
    ids = list(latest)
    for start in range(0, len(ids), 500):
        later = session.execute(
            select(document_id, func.max(Job.id)).where(
                Job.workspace_id == scope.workspace_id, Job.kind == EXTRACT_ENTITIES,
                Job.status != JobStatus.failed, document_id.in_(ids[start:start + 500]))
            .group_by(document_id)).all()
        for doc, newest in later:
            if doc in latest and newest > latest[doc].id:
                del latest[doc]
    return latest
