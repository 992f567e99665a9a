"""Signing the documents that have no near-duplicate signature: those stored before the
feature existed, and those whose `find_near_duplicates` job failed for good.

A document gets its signature from a job queued when its text is stored; a document that
never had that job is never grouped. The backfill finds the workspace's ready documents
with stored pages and no signature row and queues the same job for each, a batch at a
time: keyset pagination by document id (each batch starts after the last id of the one
before, so a batch costs the same at the end of 100,000 documents as at the start) and
one transaction per batch (SQLite has one writer: one transaction for 100,000 jobs would
hold it for the whole walk). An interrupted backfill keeps the batches it committed, and
running it again queues only what is left: a document with a job of that kind queued or
running, or a signature, is skipped, so nothing is ever queued twice.

It runs at every start for every workspace, like re-chunking (ingest/rechunk.py): cheap
when there is nothing to do, and an upgraded installation needs no step of its own. An
admin runs it on demand (API, `casework neardup backfill`): after a job failed for good,
without restarting. Both are audited as `neardup.backfill`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import exists, func, select, text
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.core.database import transaction
from casework.documents.models import Document, DocumentPage, DocumentStatus
from casework.jobs import service as jobs_service
from casework.jobs.models import Job, JobPriority, JobStatus
from casework.neardup.job_kinds import FIND_NEAR_DUPLICATES
from casework.neardup.models import DocumentSignature
from casework.runtime import Runtime
from casework.workspaces import service as workspaces_service

START_LABEL = "casework start-up"  # the audit log's actor for what a start queued
MAX_BATCH = 10_000  # as NEAR_DUPLICATE_BACKFILL_BATCH allows: well under parameter caps


@dataclass(slots=True)
class _InFlight:
    """The workspace's documents with a find_near_duplicates job queued or running.

    Read whole once, then only the jobs added since (`Job.id` above the highest id seen):
    checking each batch against every waiting job would read the backfill's own 100,000
    jobs again for each of its batches. A job that finishes meanwhile leaves a signature
    (or failed, and waits for the next run)."""

    document_ids: set[str] = field(default_factory=set)
    seen_up_to: int | None = None

    def refresh(self, session: Session, workspace_id: str) -> None:
        newest = session.scalar(select(func.max(Job.id))) or 0
        query = select(Job.payload["document_id"].as_string()).where(
            Job.workspace_id == workspace_id, Job.kind == FIND_NEAR_DUPLICATES,
            Job.status.in_([JobStatus.queued, JobStatus.running]))
        if self.seen_up_to is not None:
            query = query.where(Job.id > self.seen_up_to)
        self.document_ids.update(i for i in session.scalars(query) if i)
        self.seen_up_to = newest


def _unsigned(session: Session, workspace_id: str, after: str, limit: int) -> list[str]:
    """The next `limit` ids after `after`: ready, with stored pages (what the pipeline
    queues the job for), and no signature row (a text too short has one, without a
    signature: it was read and needs nothing)."""
    return list(session.scalars(
        select(Document.id).where(
            Document.workspace_id == workspace_id, Document.id > after,
            Document.status == DocumentStatus.ready,
            exists().where(DocumentPage.document_id == Document.id),
            ~exists().where(DocumentSignature.document_id == Document.id))
        .order_by(Document.id).limit(limit)))


def _lock(session: Session, workspace_id: str) -> None:
    """Two backfills of one workspace (an admin's and a start's) take turns per batch on
    PostgreSQL, so the second sees the first's jobs; SQLite has one writer already."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.blake2b(f"neardup-backfill:{workspace_id}".encode(),
                                             digest_size=8).digest(), "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def queue_unsigned_documents(*, runtime: Runtime, workspace_id: str,
                             batch_size: int | None = None) -> int:
    """Queue a find_near_duplicates job for each of the workspace's unsigned documents, one
    committed batch at a time; how many were queued."""
    size = min(max(batch_size or runtime.settings.near_duplicate_backfill_batch, 1),
               MAX_BATCH)
    in_flight = _InFlight()
    after, queued = "", 0
    while True:
        with transaction(runtime.sessions) as session:
            _lock(session, workspace_id)
            ids = _unsigned(session, workspace_id, after, size)
            # After reading the documents: a document that became ready meanwhile has its
            # job committed with it, so this read sees that job.
            in_flight.refresh(session, workspace_id)
            queued += len(jobs_service.enqueue_many(
                session=session, kind=FIND_NEAR_DUPLICATES,
                payloads=[{"document_id": i} for i in ids if i not in in_flight.document_ids],
                workspace_id=workspace_id, priority=JobPriority.enrich,
                max_attempts=runtime.settings.job_max_attempts, notify=runtime.notify_jobs))
        if len(ids) < size:
            return queued
        after = ids[-1]


def backfill_signatures(*, runtime: Runtime, principal: Principal,
                        batch_size: int | None = None) -> int:
    """An admin's backfill of their workspace (API, CLI): queued, then audited as
    `neardup.backfill` with the count, 0 included; how many were queued."""
    queued = queue_unsigned_documents(runtime=runtime, workspace_id=principal.workspace_id,
                                      batch_size=batch_size)
    _audit(runtime, principal, queued)
    return queued


def queue_all_unsigned(*, runtime: Runtime) -> dict[str, int]:
    """At start: every workspace's unsigned documents; {workspace id: queued} where any.
    Audited where it queued some (as START_LABEL): every start finds nothing, mostly."""
    with transaction(runtime.read_sessions) as session:
        workspace_ids = [w.id for w in workspaces_service.list_workspaces(session=session)]
    counts: dict[str, int] = {}
    for workspace_id in workspace_ids:
        queued = queue_unsigned_documents(runtime=runtime, workspace_id=workspace_id)
        if queued:
            _audit(runtime, Principal.command(workspace_id, START_LABEL), queued)
            counts[workspace_id] = queued
    return counts


def _audit(runtime: Runtime, principal: Principal, queued: int) -> None:
    with transaction(runtime.sessions) as session:
        audit.record_by(session=session, principal=principal, action="neardup.backfill",
                        target_type="workspace", target_id=principal.workspace_id,
                        details={"queued": queued})
