"""Periodic jobs (scheduled backups, ...): enqueued into the same durable job table.

`enqueue_due` is idempotent and cheap, so whoever ticks it - the embedded worker pool's
heartbeat, or a dedicated `casework scheduler` - may call it as often as it likes: a kind
is enqueued only when none is queued or running and the last one is older than its interval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

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


def periodic_jobs(settings: Settings) -> list[PeriodicJob]:
    jobs: list[PeriodicJob] = []
    if settings.backup_interval_hours > 0:
        jobs.append(PeriodicJob(BACKUP, timedelta(hours=settings.backup_interval_hours)))
    return jobs


def enqueue_due(*, session: Session, settings: Settings,
                notify: Callable[[int], None] | None = None) -> list[int]:
    """Enqueue every periodic job that is due; returns the new job ids."""
    created: list[int] = []
    now = utcnow()
    for periodic in periodic_jobs(settings):
        pending = session.scalar(select(func.count()).select_from(Job).where(
            Job.kind == periodic.kind,
            Job.status.in_([JobStatus.queued, JobStatus.running])))
        if pending:
            continue
        last = session.scalar(select(func.max(Job.created_at)).where(Job.kind == periodic.kind))
        if last is not None and now - last < periodic.interval:
            continue
        job = service.enqueue(session=session, kind=periodic.kind, payload={},
                              workspace_id=None, priority=JobPriority.bulk,
                              max_attempts=settings.job_max_attempts, notify=notify)
        created.append(job.id)
    return created
