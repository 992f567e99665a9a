"""Periodic jobs (scheduled backups, ...): enqueued into the same durable job table.

Domains register theirs in their tasks.py (`JobRegistry.every`).

`enqueue_due` is idempotent and cheap, so whoever ticks it - the embedded worker pool's
heartbeat, or Celery beat run by `casework scheduler` - may call it as often as it likes:
a kind is enqueued only when none is queued or running and the last one is older than its
interval. The decision rests on the job table, not on the ticker's memory, so restarting
the scheduler (every deploy) neither skips a backup nor takes an extra one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.core.database import utcnow
from casework.jobs import service
from casework.jobs.models import Job, JobPriority, JobStatus


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    kind: str
    interval: timedelta
    payload: dict[str, Any] = field(default_factory=dict)


def enqueue_if_due(*, session: Session, periodic: PeriodicJob, max_attempts: int,
                   notify: Callable[[int], None] | None = None) -> int | None:
    """Enqueue `periodic` unless one is pending or the last is younger than its interval."""
    pending = session.scalar(select(func.count()).select_from(Job).where(
        Job.kind == periodic.kind, Job.status.in_([JobStatus.queued, JobStatus.running])))
    if pending:
        return None
    last = session.scalar(select(func.max(Job.created_at)).where(Job.kind == periodic.kind))
    if last is not None and utcnow() - last < periodic.interval:
        return None
    job = service.enqueue(session=session, kind=periodic.kind, payload=periodic.payload,
                          workspace_id=None, priority=JobPriority.bulk,
                          max_attempts=max_attempts, notify=notify)
    return job.id


def enqueue_due(*, session: Session, periodic: list[PeriodicJob], max_attempts: int,
                notify: Callable[[int], None] | None = None) -> list[int]:
    """Enqueue every job of `periodic` that is due; returns the new job ids."""
    created: list[int] = []
    for job in periodic:
        job_id = enqueue_if_due(session=session, periodic=job, max_attempts=max_attempts,
                                notify=notify)
        if job_id is not None:
            created.append(job_id)
    return created
