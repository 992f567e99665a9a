"""The job table's life cycle: enqueue, claim with a lease, heartbeat, finish, retry.

A claimed job holds a lease (`locked_until`) that its worker renews while it runs. If the
process dies (even by SIGKILL), the lease runs out and another worker - or the same one
after a restart - claims the job again. Handlers are idempotent, so a rerun loses and
duplicates nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from casework.core.database import after_commit, utcnow
from casework.jobs.models import Job, JobPriority, JobStatus


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


def _take(session: Session, job: Job, *, worker_id: str, lease_seconds: float,
          now: datetime) -> Job:
    """Mark a job as ours for `lease_seconds`; each claim counts as an attempt."""
    job.status = JobStatus.running
    job.attempts += 1
    job.locked_by = worker_id
    job.locked_until = now + timedelta(seconds=lease_seconds)
    job.started_at = now
    session.flush()
    return job


def claim_next(
    *, session: Session, worker_id: str, lease_seconds: float, kinds: list[str] | None = None
) -> Job | None:
    """Take the most urgent runnable job (queued and due, or running with a dead lease)."""
    now = utcnow()
    runnable = or_(
        and_(Job.status == JobStatus.queued, Job.run_after <= now),
        and_(Job.status == JobStatus.running, Job.locked_until < now),
    )
    query = select(Job).where(runnable).order_by(Job.priority, Job.id).limit(1)
    if kinds:
        query = query.where(Job.kind.in_(kinds))
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    job = session.scalars(query).first()
    if job is None:
        return None
    return _take(session, job, worker_id=worker_id, lease_seconds=lease_seconds, now=now)


def claim(*, session: Session, job_id: int, worker_id: str, lease_seconds: float) -> Job | None:
    """Take one named job if it is runnable (used by queue engines that deliver ids)."""
    now = utcnow()
    query = select(Job).where(Job.id == job_id)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    job = session.scalars(query).first()
    if job is None or job.status in (JobStatus.succeeded, JobStatus.failed):
        return None
    if job.status == JobStatus.running and job.locked_until and job.locked_until >= now:
        return None  # someone else holds a live lease
    if job.status == JobStatus.queued and job.run_after > now:
        return None  # a retry waiting out its backoff; it is sent again when due
    return _take(session, job, worker_id=worker_id, lease_seconds=lease_seconds, now=now)


def renew_lease(*, session: Session, job_id: int, worker_id: str, lease_seconds: float) -> bool:
    """Extend a running job's lease; False if the job is no longer ours."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.locked_by == worker_id, Job.status == JobStatus.running)
        .values(locked_until=utcnow() + timedelta(seconds=lease_seconds))
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def set_progress(*, session: Session, job_id: int, progress: float) -> None:
    session.execute(update(Job).where(Job.id == job_id).values(progress=min(max(progress, 0), 1)))


def mark_succeeded(*, session: Session, job_id: int, worker_id: str) -> None:
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.locked_by == worker_id)
        .values(status=JobStatus.succeeded, progress=1.0, error=None, locked_by=None,
                locked_until=None, finished_at=utcnow())
    )


def retry_delay(attempts: int, *, base: float, cap: float) -> float:
    """Exponential backoff with full jitter, so retries of a burst do not stampede."""
    ceiling = min(cap, base * (2 ** max(attempts - 1, 0)))
    return random.uniform(ceiling / 2, ceiling) if ceiling > 0 else 0.0


def mark_failed_attempt(
    *, session: Session, job: Job, error: str, permanent: bool, base: float, cap: float
) -> bool:
    """Record a failed attempt; requeue with backoff or fail for good. True if final."""
    final = permanent or job.attempts >= job.max_attempts
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
    from sqlalchemy import func

    rows = session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    return {str(status): count for status, count in rows}


def list_jobs(*, session: Session, workspace_id: str, status: JobStatus | None, limit: int,
              offset: int) -> list[Job]:
    query = select(Job).where(Job.workspace_id == workspace_id)
    if status is not None:
        query = query.where(Job.status == status)
    return list(session.scalars(query.order_by(Job.id.desc()).limit(limit).offset(offset)))


def get_job(*, session: Session, workspace_id: str, job_id: int) -> Job:
    from casework.core.scoping import get_scoped

    return get_scoped(session, Job, workspace_id, job_id, noun="job")  # type: ignore[type-var]
