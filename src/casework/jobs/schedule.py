"""Periodic jobs (scheduled backups, ...): enqueued into the same durable job table.

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
from casework.core.settings import Settings
from casework.jobs import service
from casework.jobs.models import Job, JobPriority, JobStatus

BACKUP = "backup"


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    kind: str
    interval: timedelta
    payload: dict[str, Any] = field(default_factory=dict)


def periodic_jobs(settings: Settings) -> list[PeriodicJob]:
    jobs: list[PeriodicJob] = []
    if settings.backup_interval_hours > 0:
        # The scheduler's own target and retention travel with the job (backup/tasks.py).
        jobs.append(PeriodicJob(BACKUP, timedelta(hours=settings.backup_interval_hours),
                                {"target": settings.resolved_backup_target,
                                 "keep": settings.backup_keep}))
    return jobs


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


def enqueue_due(*, session: Session, settings: Settings,
                notify: Callable[[int], None] | None = None) -> list[int]:
    """Enqueue every periodic job of `settings` that is due; returns the new job ids."""
    created: list[int] = []
    for periodic in periodic_jobs(settings):
        job_id = enqueue_if_due(session=session, periodic=periodic,
                                max_attempts=settings.job_max_attempts, notify=notify)
        if job_id is not None:
            created.append(job_id)
    return created
