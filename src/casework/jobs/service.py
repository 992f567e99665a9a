"""The job table's life cycle: enqueue, claim with a lease, heartbeat, finish, retry.

A claimed job holds a lease (`locked_until`) that its worker renews while it runs. If the
process dies (even by SIGKILL), the lease runs out and another worker - or the same one
after a restart - claims the job again, as one more attempt: after `max_attempts` the job
fails instead. Handlers are idempotent, so a rerun loses and duplicates nothing. Which job
runs next is decided in jobs/claims.py, fairly across workspaces, for both the embedded
pool and Celery.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from casework.core.database import after_commit, utcnow
from casework.core.scoping import get_scoped
from casework.jobs import failures
from casework.jobs.models import Job, JobPriority, JobStatus

CANCEL_BATCH = 500  # document ids per statement: well under every database's parameter cap


def enqueue(
    *,
    session: Session,
    kind: str,
    payload: dict[str, Any],
    workspace_id: str | None,
    priority: int = JobPriority.interactive,
    max_attempts: int = 5,
    notify: Callable[[int], None] | None = None,
) -> Job:
    """Add a job in the caller's transaction; `notify` (the dispatcher) fires after commit.

    The row and the work it describes commit together, so a worker never sees a job whose
    document does not exist yet, and a rolled-back upload leaves no job behind.
    """
    job = Job(kind=kind, payload=payload, workspace_id=workspace_id, priority=priority,
              max_attempts=max_attempts)
    session.add(job)
    session.flush()
    if notify is not None:
        job_id = job.id
        after_commit(session, lambda: notify(job_id))
    return job


def enqueue_many(
    *,
    session: Session,
    kind: str,
    payloads: list[dict[str, Any]],
    workspace_id: str | None,
    priority: int = JobPriority.interactive,
    max_attempts: int = 5,
    notify: Callable[[int], None] | None = None,
) -> list[int]:
    """`enqueue` for many jobs of one kind: one INSERT for all of them (a row object and
    a flush per job was 90% of queueing a 100,000-document backfill); their ids.

    The same guarantees: the rows commit with the caller's transaction, and `notify`
    fires for each after the commit.
    """
    if not payloads:
        return []
    ids = list(session.scalars(insert(Job).returning(Job.id), [
        {"kind": kind, "payload": payload, "workspace_id": workspace_id,
         "priority": priority, "max_attempts": max_attempts} for payload in payloads]))
    if notify is not None:
        def wake() -> None:
            for job_id in ids:
                notify(job_id)

        after_commit(session, wake)
    return ids


def fan_out(*, session: Session, job_id: int, payload: dict[str, Any],
            siblings: list[dict[str, Any]], notify: Callable[[int], None] | None = None
            ) -> list[Job]:
    """Give a running job a smaller `payload` and queue the rest of its work as `siblings`
    (same kind, workspace, priority and attempts), in the caller's transaction.

    One job's payload and its siblings commit together, so a retry of the job after a
    crash finds its narrowed payload and never queues the siblings twice.
    """
    job = session.get(Job, job_id)
    if job is None:
        return []
    job.payload = payload
    return [enqueue(session=session, kind=job.kind, payload=sibling,
                    workspace_id=job.workspace_id, priority=job.priority,
                    max_attempts=job.max_attempts, notify=notify) for sibling in siblings]


def renew_lease(*, session: Session, job_id: int, worker_id: str, lease_seconds: float) -> bool:
    """Extend a running job's lease; False if the job is no longer ours."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.locked_by == worker_id, Job.status == JobStatus.running)
        .values(locked_until=utcnow() + timedelta(seconds=lease_seconds))
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def set_progress(*, session: Session, job_id: int, progress: float) -> bool:
    """Record a running job's progress; False if it is no longer running (cancelled)."""
    result = session.execute(update(Job).where(Job.id == job_id, Job.status == JobStatus.running)
                             .values(progress=min(max(progress, 0), 1)))
    return result.rowcount == 1  # type: ignore[attr-defined]


def is_cancelled(*, session: Session, job_id: int) -> bool:
    """Whether a running job should stop: cancelled, or its row deleted with its workspace."""
    status = session.scalar(select(Job.status).where(Job.id == job_id))
    return status is None or status == JobStatus.cancelled


def cancel_document_jobs(*, session: Session, workspace_id: str,
                         document_ids: list[str]) -> int:
    """Cancel the unfinished jobs of documents being deleted, in the caller's transaction.

    Queued jobs are never claimed again; a running one stops at its next stage or page
    boundary (`JobContext.raise_if_cancelled`, `report_progress`), and its lease can no
    longer be renewed nor its success recorded. Returns how many jobs were cancelled.
    """
    cancelled = 0
    for start in range(0, len(document_ids), CANCEL_BATCH):
        batch = document_ids[start:start + CANCEL_BATCH]
        result = session.execute(
            update(Job).where(
                Job.workspace_id == workspace_id,
                Job.status.in_([JobStatus.queued, JobStatus.running]),
                Job.payload["document_id"].as_string().in_(batch))
            .values(status=JobStatus.cancelled, error=failures.CANCELLED,
                    locked_until=None, finished_at=utcnow())
            .execution_options(synchronize_session=False))
        cancelled += result.rowcount or 0  # type: ignore[attr-defined]
    return cancelled


def cancel_job(*, session: Session, workspace_id: str, job_id: int, reason: str) -> bool:
    """Cancel one unfinished job of the workspace (what it worked on was deleted), in the
    caller's transaction; a running one stops at its next progress report."""
    result = session.execute(
        update(Job).where(Job.id == job_id, Job.workspace_id == workspace_id,
                          Job.status.in_([JobStatus.queued, JobStatus.running]))
        .values(status=JobStatus.cancelled, error=reason, locked_until=None,
                finished_at=utcnow())
        .execution_options(synchronize_session=False))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_succeeded(*, session: Session, job_id: int, worker_id: str) -> None:
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.locked_by == worker_id, Job.status == JobStatus.running)
        .values(status=JobStatus.succeeded, progress=1.0, error=None, locked_by=None,
                locked_until=None, finished_at=utcnow())
    )


def retry_delay(attempts: int, *, base: float, cap: float) -> float:
    """Exponential backoff with full jitter, so retries of a burst do not stampede."""
    ceiling = min(cap, base * (2 ** max(attempts - 1, 0)))
    return random.uniform(ceiling / 2, ceiling) if ceiling > 0 else 0.0


def mark_failed_attempt(
    *, session: Session, job: Job, error: str, permanent: bool, base: float, cap: float,
    max_attempts: int | None = None,
) -> bool:
    """Record a failed attempt; requeue with backoff or fail for good. True if final.
    `max_attempts` (a kind's RetryPolicy) lowers the row's own limit."""
    limit = min(job.max_attempts, max_attempts or job.max_attempts)
    final = permanent or job.attempts >= limit
    if final and not permanent:
        error = f"{error}; gave up after {job.attempts} attempts"
    job.error = error[:4000]
    job.locked_by = None
    job.locked_until = None
    if final:
        job.status = JobStatus.failed
        job.finished_at = utcnow()
    else:
        job.status = JobStatus.queued
        job.run_after = utcnow() + timedelta(
            seconds=retry_delay(job.attempts, base=base, cap=cap)
        )
    session.flush()
    return final


def count_by_status(*, session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    return {str(status): count for status, count in rows}


def list_jobs(*, session: Session, workspace_id: str, status: JobStatus | None, limit: int,
              offset: int) -> list[Job]:
    query = select(Job).where(Job.workspace_id == workspace_id)
    if status is not None:
        query = query.where(Job.status == status)
    return list(session.scalars(query.order_by(Job.id.desc()).limit(limit).offset(offset)))


def get_job(*, session: Session, workspace_id: str, job_id: int) -> Job:
    return get_scoped(session, Job, workspace_id, job_id, noun="job")  # type: ignore[type-var]
