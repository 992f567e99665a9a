"""Worker heartbeats: who runs jobs right now, as seen from any process.

Each worker upserts its row every WORKER_HEARTBEAT_SECONDS and deletes it on a clean stop;
a worker that died leaves a row that simply goes stale. Readiness and the `workers_alive`
metric count rows seen within three intervals.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from casework.core.database import utcnow
from casework.jobs.models import WorkerHeartbeat

STALE_AFTER_INTERVALS = 3


def record_heartbeat(*, session: Session, worker_id: str, hostname: str, pid: int,
                     threads: int, running_jobs: int) -> None:
    now = utcnow()
    updated = session.execute(
        update(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id)
        .values(seen_at=now, running_jobs=running_jobs, threads=threads))
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.add(WorkerHeartbeat(worker_id=worker_id, hostname=hostname, pid=pid,
                                    threads=threads, running_jobs=running_jobs,
                                    started_at=now, seen_at=now))
    session.flush()


def forget_worker(*, session: Session, worker_id: str) -> None:
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id))


def count_live_workers(*, session: Session, interval_seconds: float) -> int:
    cutoff = utcnow() - timedelta(seconds=interval_seconds * STALE_AFTER_INTERVALS)
    return session.scalar(
        select(func.count()).select_from(WorkerHeartbeat)
        .where(WorkerHeartbeat.seen_at >= cutoff)) or 0

