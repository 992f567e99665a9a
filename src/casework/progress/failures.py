"""What failed in a collection or a batch, why, and "retry failed only".

A document fails per stage: its text (the whole document: nothing of it is searchable),
its previews or its vectors (it stays searchable), or its entities. Each failure is
listed with a stable code per stage and the reason its last attempt gave. Retrying queues
only what failed, each stage by its own job, so a ready document is never re-extracted
because its vectors failed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, or_, select, update
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.documents.models import Document, DocumentStatus, EmbeddingStatus, PreviewStatus
from casework.entities.job_kinds import EXTRACT_ENTITIES
from casework.exports.members import spreadsheet_safe
from casework.ingest.job_kinds import DERIVE_PREVIEWS, PROCESS_DOCUMENT
from casework.jobs import service as jobs_service
from casework.jobs.models import Job, JobPriority, JobStatus
from casework.progress.service import Scope, failed_entity_documents
from casework.runtime import Runtime
from casework.search.job_kinds import EMBED_DOCUMENT

# Stage -> (stable code, the job kind that redoes it).
STAGES = {
    "text": ("extraction_failed", PROCESS_DOCUMENT),
    "previews": ("previews_failed", DERIVE_PREVIEWS),
    "vectors": ("embedding_failed", EMBED_DOCUMENT),
    "entities": ("entities_failed", EXTRACT_ENTITIES),
}
CSV_MAX_DOCUMENTS = 100_000
CSV_COLUMNS = ("filename", "document_id", "stage", "code", "message", "attempts", "failed_at")
# Documents re-queued per request: a larger backlog is retried by asking again.
RETRY_MAX_DOCUMENTS = 10_000
ID_BATCH = 500


@dataclass(frozen=True, slots=True)
class Failure:
    document_id: str
    filename: str
    stage: str
    code: str
    message: str
    attempts: int | None
    failed_at: datetime | None


def _failing() -> Any:
    """FAILING_SQL as a clause, its values written into the statement: the partial index
    ix_document_failing holds exactly these documents, and a planner matches its condition
    against the query's text (PostgreSQL's generic plans never see a bound value)."""
    failed = literal("failed", literal_execute=True)
    return or_(Document.status == failed, Document.embedding_status == failed,
               Document.preview_status == failed)


def list_failures(*, session: Session, scope: Scope, limit: int,
                  offset: int) -> tuple[list[Failure], int]:
    """A page of failing documents (by file name), each with one row per failed stage;
    `total` counts documents. Entity failures (from the job table) follow on the last page.
    """
    query = select(Document).where(*scope.where(), _failing())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    documents = list(session.scalars(query.order_by(Document.filename, Document.id)
                                     .limit(limit).offset(offset)))
    entity_jobs = failed_entity_documents(session=session, scope=scope)
    extra = [doc for doc in entity_jobs if doc not in {d.id for d in documents}]
    if offset + limit >= total and extra:
        documents += list(session.scalars(select(Document).where(
            *scope.where(), Document.id.in_(extra[:limit])).order_by(Document.filename)))
    total += len(extra)
    attempts = _attempts(session, scope.workspace_id, [d.id for d in documents])
    rows: list[Failure] = []
    for document in documents:
        rows += _document_failures(document, attempts, entity_jobs.get(document.id))
    return rows, total


def _document_failures(document: Document, attempts: dict[tuple[str, str], Job],
                       entity_job: Job | None) -> list[Failure]:
    metadata = document.metadata_json or {}
    failed = []
    if document.status == DocumentStatus.failed:
        failed.append(("text", document.error or "failed"))
    if document.preview_status == PreviewStatus.failed:
        failed.append(("previews", metadata.get("preview_error") or "failed"))
    if document.embedding_status == EmbeddingStatus.failed:
        failed.append(("vectors", metadata.get("embedding_error") or "failed"))
    rows = []
    for stage, message in failed:
        code, kind = STAGES[stage]
        job = attempts.get((document.id, kind))
        rows.append(Failure(document.id, document.filename, stage, code, str(message),
                            job.attempts if job else None,
                            job.finished_at if job else document.updated_at))
    if entity_job is not None:
        rows.append(Failure(document.id, document.filename, "entities", STAGES["entities"][0],
                            entity_job.error or "failed", entity_job.attempts,
                            entity_job.finished_at))
    return rows


def _attempts(session: Session, workspace_id: str,
              document_ids: list[str]) -> dict[tuple[str, str], Job]:
    """The latest failed job of each (document, kind): how often it was tried, and when."""
    document_id = Job.payload["document_id"].as_string()
    found: dict[tuple[str, str], Job] = {}
    for start in range(0, len(document_ids), ID_BATCH):
        for doc, job in session.execute(
                select(document_id, Job).where(
                    Job.workspace_id == workspace_id, Job.status == JobStatus.failed,
                    Job.kind.in_([PROCESS_DOCUMENT, DERIVE_PREVIEWS, EMBED_DOCUMENT]),
                    document_id.in_(document_ids[start:start + ID_BATCH]))
                .order_by(Job.id)):
            found[(doc, job.kind)] = job  # ordered by id: the last one wins
    return found


def failures_csv(*, session: Session, scope: Scope) -> Iterator[str]:
    """Every failure in scope as CSV (up to CSV_MAX_DOCUMENTS documents), read page by
    page; cells a spreadsheet would run as formulas are defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    offset, page = 0, 1000
    while offset < CSV_MAX_DOCUMENTS:
        rows, total = list_failures(session=session, scope=scope, limit=page, offset=offset)
        for row in rows:
            writer.writerow([spreadsheet_safe(v) for v in (
                row.filename, row.document_id, row.stage, row.code, row.message,
                row.attempts, row.failed_at.isoformat() if row.failed_at else None)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        offset += page
        if offset >= total:
            break


@dataclass(frozen=True, slots=True)
class Retried:
    text: int = 0
    previews: int = 0
    vectors: int = 0
    entities: int = 0
    vectors_not_retried: int = 0  # semantic search is off: nothing can embed them

    def as_dict(self) -> dict[str, int]:
        return {"text": self.text, "previews": self.previews, "vectors": self.vectors,
                "entities": self.entities, "vectors_not_retried": self.vectors_not_retried}


def retry_failed(*, session: Session, runtime: Runtime, principal: Principal,
                 scope: Scope) -> Retried:
    """Queue again each failed stage in scope, and only those; audited in the same
    transaction. Failed text re-runs extraction (which then queues the later stages);
    failed previews, vectors or entities of a ready document re-run that stage alone."""
    text = _ids(session, scope, Document.status == DocumentStatus.failed)
    previews = _ids(session, scope, Document.status == DocumentStatus.ready,
                    Document.preview_status == PreviewStatus.failed)
    vectors = _ids(session, scope, Document.status == DocumentStatus.ready,
                   Document.embedding_status == EmbeddingStatus.failed)
    entities = [doc for doc in failed_entity_documents(session=session, scope=scope)
                if doc not in set(text)][:RETRY_MAX_DOCUMENTS]
    semantic = runtime.semantic_available
    _requeue(session, runtime, scope, text, kind=PROCESS_DOCUMENT,
             priority=JobPriority.interactive, values={"status": DocumentStatus.queued,
                                                       "error": None})
    _requeue(session, runtime, scope, previews, kind=DERIVE_PREVIEWS,
             priority=JobPriority.derived, values={"preview_status": PreviewStatus.pending})
    if semantic:
        _requeue(session, runtime, scope, vectors, kind=EMBED_DOCUMENT,
                 priority=JobPriority.bulk, values={"embedding_status": EmbeddingStatus.pending})
    if runtime.settings.entity_extraction:
        _requeue(session, runtime, scope, entities, kind=EXTRACT_ENTITIES,
                 priority=JobPriority.enrich, values={})
    else:
        entities = []
    retried = Retried(text=len(text), previews=len(previews),
                      vectors=len(vectors) if semantic else 0, entities=len(entities),
                      vectors_not_retried=0 if semantic else len(vectors))
    audit.record_by(session=session, principal=principal, action="ingest.retry_failed",
                    target_type="ingest_batch" if scope.batch_id else "collection",
                    target_id=scope.batch_id or scope.collection_id,
                    details={"collection_id": scope.collection_id, **retried.as_dict()})
    return retried


def _ids(session: Session, scope: Scope, *clauses: Any) -> list[str]:
    return list(session.scalars(select(Document.id).where(*scope.where(), *clauses)
                                .order_by(Document.id).limit(RETRY_MAX_DOCUMENTS)))


def _requeue(session: Session, runtime: Runtime, scope: Scope, document_ids: list[str], *,
             kind: str, priority: int, values: dict[str, Any]) -> None:
    for start in range(0, len(document_ids), ID_BATCH):
        ids = document_ids[start:start + ID_BATCH]
        if values:
            session.execute(update(Document).where(
                Document.workspace_id == scope.workspace_id, Document.id.in_(ids),
            ).values(**values).execution_options(synchronize_session=False))
        for document_id in ids:
            jobs_service.enqueue(session=session, kind=kind,
                                 payload={"document_id": document_id},
                                 workspace_id=scope.workspace_id, priority=priority,
                                 max_attempts=runtime.settings.job_max_attempts,
                                 notify=runtime.notify_jobs)
