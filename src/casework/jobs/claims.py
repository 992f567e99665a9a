"""Which job runs next: the claim, fair across workspaces, for the embedded pool and Celery.

First a job whose lease ran out (its worker died), then the oldest due job of the workspace
running the fewest, at the most urgent priority. Every step is an index seek, however long
the backlog (docs/benchmarks.md#fair-claims); where SQLite's planner would pick a scan, a
term is kept off the index choice with a unary "+" (`_due_by_id`, `_group_running_by_workspace`).
The rest of a job's life (enqueue, lease renewal, finish, retry) is in jobs/service.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, literal_column, select, text
from sqlalchemy.orm import Session

from casework.core.database import utcnow
from casework.jobs import failures
from casework.jobs.models import Job, JobStatus


def _take(session: Session, job: Job, *, worker_id: str, lease_seconds: float,
          now: datetime) -> Job:
    """Mark a job as ours for `lease_seconds`; each claim counts as an attempt.

    A job found running with an expired lease was abandoned: its worker died (a file that
    crashes the process, an OOM kill). That counted as an attempt when it was claimed, so
    once `max_attempts` are used up the job is failed here instead of being run again: a
    file that kills the server would otherwise kill it again after every restart. The
    caller sees `status == failed` and runs the handler's `on_failure`.
    """
    job.locked_by = worker_id
    job.started_at = now
    if job.status == JobStatus.running and job.attempts >= job.max_attempts:
        job.status = JobStatus.failed
        job.error = failures.abandoned(job.attempts)
        job.locked_until = None
        job.finished_at = now
    else:
        job.status = JobStatus.running
        job.attempts += 1
        job.locked_until = now + timedelta(seconds=lease_seconds)
    session.flush()
    return job


def claim_next(
    *, session: Session, worker_id: str, lease_seconds: float, kinds: list[str] | None = None,
    band: tuple[int, int] | None = None, idle_workspaces_only: bool = False,
) -> Job | None:
    """Take the job that should run next, fairly across workspaces.

    First a job whose worker died (its lease ran out), so nothing is stuck behind new work.
    Then, among queued jobs that are due, the most urgent priority; within it the workspace
    running the fewest jobs right now; within that workspace its oldest job. A workspace
    with a backlog of thousands therefore gets no more than its share of the workers while
    another workspace has work waiting: the other's upload runs on the next free worker.
    `band` (lowest, highest priority) limits the claim to one Celery queue's jobs;
    `idle_workspaces_only` to workspaces running nothing (the pool's fair-share threads).
    """
    now = utcnow()
    job = None if idle_workspaces_only else _abandoned(session, now=now, kinds=kinds, band=band)
    if job is None:
        job = _fairest_due(session, now=now, kinds=kinds, band=band,
                           idle_workspaces_only=idle_workspaces_only)
    if job is None:
        return None
    return _take(session, job, worker_id=worker_id, lease_seconds=lease_seconds, now=now)


def _filters(kinds: list[str] | None, band: tuple[int, int] | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if kinds:
        conditions.append(Job.kind.in_(kinds))
    if band is not None:
        conditions.append(Job.priority.between(*band))
    return conditions


def _locked(session: Session, query: Select[tuple[Job]]) -> Select[tuple[Job]]:
    """Concurrent claimers on PostgreSQL skip each other's rows instead of waiting."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def _abandoned(session: Session, *, now: datetime, kinds: list[str] | None,
               band: tuple[int, int] | None) -> Job | None:
    query = select(Job).where(Job.status == JobStatus.running, Job.locked_until < now,
                              *_filters(kinds, band)).order_by(Job.priority, Job.id).limit(1)
    return session.scalars(_locked(session, query)).first()


def _fairest_due(session: Session, *, now: datetime, kinds: list[str] | None,
                 band: tuple[int, int] | None, idle_workspaces_only: bool) -> Job | None:
    """The oldest due job of the workspace running the fewest jobs, at the best priority.

    Among workspaces running equally few, the one served least recently goes first (then
    the one waiting longest). Counting running jobs alone is not enough: workers that finish
    together (or a single worker) claim while nothing runs, every workspace then counts
    zero, and the oldest backlog would win each claim until it is empty.

    Every step is an index seek (ix_job_fair_claim), never a pass over the backlog: the
    claim takes as long with 10,000 queued jobs as with ten (docs/benchmarks.md#fair-claims).
    """
    due = and_(Job.status == JobStatus.queued, Job.run_after <= now, *_filters(kinds, band))
    tried: int | None = None
    while True:
        # Most urgent first. A priority whose every due job is locked by concurrent claims
        # (PostgreSQL: SKIP LOCKED) yields to the next one: stopping there would leave this
        # claimer with nothing while a bulk job waits, and in the scale-out shape spend a
        # Celery token for good (the job then waits for the sweeper).
        later = due if tried is None else and_(due, Job.priority > tried)
        priority = session.scalar(select(func.min(Job.priority)).where(later))
        if priority is None:
            return None
        job = _fairest_at(session, now=now, priority=priority, kinds=kinds,
                          idle_workspaces_only=idle_workspaces_only)
        if job is not None or idle_workspaces_only:
            return job  # the fair-share thread keeps to the most urgent priority
        tried = priority


def _fairest_at(session: Session, *, now: datetime, priority: int,
                kinds: list[str] | None, idle_workspaces_only: bool) -> Job | None:
    """`_fairest_due` within one priority; None if each of its due jobs is taken.

    No band here: `priority` came from within it, and on SQLite a `priority BETWEEN` beside
    `priority =` turned the oldest-job seeks into scans (~33 ms each at 70,000 queued jobs).
    """
    running: dict[str | None, int] = {
        workspace_id: count for workspace_id, count in session.execute(
            select(Job.workspace_id, func.count()).where(
                Job.status == JobStatus.running, Job.locked_until >= now)
            .group_by(_group_running_by_workspace(session)))}
    shares: dict[int, list[str | None]] = {}
    for workspace_id in _waiting_workspaces(session, priority=priority):
        shares.setdefault(running.get(workspace_id, 0), []).append(workspace_id)
    oldest_due = and_(Job.status == JobStatus.queued, Job.priority == priority,
                      _due_by_id(session, now), *_filters(kinds, None))
    for share in sorted(shares):
        if share and idle_workspaces_only:
            break
        turns = sorted(
            (_last_started(session, workspace_id), job_id, workspace_id)
            for workspace_id in shares[share]
            if (job_id := session.scalar(select(Job.id).where(
                oldest_due, _in_workspace(workspace_id)).order_by(Job.id).limit(1)))
            is not None)
        for _served, _oldest_id, workspace_id in turns:
            # Its oldest job not locked by a concurrent claim (PostgreSQL: SKIP LOCKED); that
            # claim may hold the very row found above, so this looks again, past it.
            job = session.scalars(_locked(session, select(Job).where(
                oldest_due, _in_workspace(workspace_id)).order_by(Job.id).limit(1))).first()
            if job is not None:
                return job
    return None


# Distinct workspaces with queued jobs at one priority, as a chain of index seeks (a "loose
# index scan"): each step finds the next workspace id after the previous one.
_WAITING_WORKSPACES = text("""
WITH RECURSIVE waiting(workspace_id) AS (
    SELECT (SELECT min(workspace_id) FROM job
            WHERE status = :queued AND priority = :priority)
    UNION ALL
    SELECT (SELECT min(later.workspace_id) FROM job AS later
            WHERE later.status = :queued AND later.priority = :priority
              AND later.workspace_id > waiting.workspace_id)
    FROM waiting WHERE waiting.workspace_id IS NOT NULL
)
SELECT workspace_id FROM waiting WHERE workspace_id IS NOT NULL
""")


def _waiting_workspaces(session: Session, *, priority: int) -> list[str | None]:
    """Workspaces with queued jobs at `priority`; None stands for jobs of no workspace."""
    params = {"queued": JobStatus.queued.value, "priority": priority}
    workspaces: list[str | None] = list(session.scalars(_WAITING_WORKSPACES, params))
    if session.scalar(select(Job.id).where(
            Job.status == JobStatus.queued, Job.priority == priority,
            Job.workspace_id.is_(None)).limit(1)) is not None:
        workspaces.append(None)  # periodic jobs (backups) take their turn like a workspace
    return workspaces


def _due_by_id(session: Session, now: datetime) -> ColumnElement[bool]:
    """`run_after <= now`, read row by row along ix_job_fair_claim's id order.

    Given the plain range, SQLite picks ix_job_claim for it and sorts the workspace's whole
    backlog by id (10 ms a claim at 10,000 queued jobs); a unary "+" is SQLite's documented
    way to keep a term off the index choice. PostgreSQL plans by its statistics.
    """
    if session.bind is not None and session.bind.dialect.name == "sqlite":
        return text("+job.run_after <= :due_at").bindparams(
            bindparam("due_at", now, type_=Job.__table__.c.run_after.type))  # type: ignore[return-value]
    return Job.run_after <= now


def _group_running_by_workspace(session: Session) -> ColumnElement[Any]:
    """The running jobs' GROUP BY, kept off the index choice on SQLite.

    Grouped by the plain column, SQLite walks ix_job_workspace_id over every job row to
    avoid a sort (48 ms a claim at 89,000 jobs, half a mailbox ingest's CPU) instead of
    seeking the few running ones on ix_job_lease (0.1 ms); the unary "+" stops that, as in
    `_due_by_id`. PostgreSQL plans by its statistics.
    """
    if session.bind is not None and session.bind.dialect.name == "sqlite":
        return literal_column("+job.workspace_id")
    return Job.workspace_id  # type: ignore[return-value]


_NEVER = datetime.min.replace(tzinfo=UTC)


def _last_started(session: Session, workspace_id: str | None) -> datetime:
    """When the workspace last had a job started (one seek on ix_job_workspace_started)."""
    started = session.scalar(
        select(Job.started_at).where(_in_workspace(workspace_id), Job.started_at.is_not(None))
        .order_by(Job.started_at.desc()).limit(1))
    return _NEVER if started is None else started


def _in_workspace(workspace_id: str | None) -> ColumnElement[bool]:
    if workspace_id is None:
        return Job.workspace_id.is_(None)
    return Job.workspace_id == workspace_id
