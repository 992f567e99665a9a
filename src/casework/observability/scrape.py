"""What the database says at scrape time: jobs by state, queue depth, workers, connections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text

from casework.core.database import transaction, utcnow
from casework.jobs import heartbeats
from casework.jobs import service as jobs_service
from casework.jobs.models import Job, JobStatus
from casework.learning import service as learning_service
from casework.learning.models import LearningRun

if TYPE_CHECKING:
    from casework.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Snapshot:
    jobs_by_state: dict[str, int]
    queue_depth: int
    oldest_queued_age: float
    workers_alive: int
    database_connections: int | None
    database_max_connections: int | None
    daily_runs: list[LearningRun]  # each workspace's newest


def read_snapshot(runtime: Runtime) -> Snapshot:
    now = utcnow()
    with transaction(runtime.read_sessions) as session:
        by_state = {state.value: 0 for state in JobStatus}
        by_state.update(jobs_service.count_by_status(session=session))
        due = (Job.status == JobStatus.queued) & (Job.run_after <= now)
        depth, oldest = session.execute(
            select(func.count(), func.min(Job.run_after)).where(due)).one()
        workers = heartbeats.count_live_workers(
            session=session, interval_seconds=runtime.settings.worker_heartbeat_seconds)
        daily_runs = learning_service.latest_runs(session=session)
        session.expunge_all()  # read after the session closes
        connections = limit = None
        if session.get_bind().dialect.name == "postgresql":
            connections = session.scalar(text("SELECT count(*) FROM pg_stat_activity"))
            limit = int(session.scalar(text("SELECT current_setting('max_connections')")))
    if oldest is not None and oldest.tzinfo is None:  # aggregate over SQLite loses the zone
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    return Snapshot(jobs_by_state=by_state, queue_depth=int(depth or 0),
                    oldest_queued_age=max(age, 0.0), workers_alive=workers,
                    database_connections=connections, database_max_connections=limit,
                    daily_runs=daily_runs)
