"""One workspace's backlog does not starve another's uploads: the next free worker takes the
oldest job of the workspace running the fewest jobs (within the most urgent priority)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from casework.core.database import transaction
from casework.jobs import claims as job_claims
from casework.jobs import service as jobs_service
from casework.jobs.handlers import JobHandler
from casework.jobs.models import Job, JobPriority, JobStatus
from tests.conftest import test_settings


@pytest.fixture
def two_workspaces(tmp_path: Path, database_url: str | None, make_client):
    """(runtime, busy workspace id, quiet workspace id); no worker threads: the test claims."""
    client = make_client(test_settings(tmp_path / "data", database_url, worker_threads=0))
    busy = client.get("/api/v1/workspaces/current").json()["id"]
    created = client.post("/api/v1/workspaces", json={"name": "Quiet Team"})
    assert created.status_code == 201, created.text
    return client.app.state.runtime, busy, created.json()["id"]


def _enqueue(runtime, workspace_id: str | None, count: int,
             priority: int = JobPriority.interactive) -> list[int]:
    with transaction(runtime.sessions) as session:
        return [jobs_service.enqueue(session=session, kind="noop", payload={"n": n},
                                     workspace_id=workspace_id, priority=priority).id
                for n in range(count)]


def _claim(runtime, worker: str = "w") -> tuple[int, str | None] | None:
    with transaction(runtime.sessions) as session:
        job = job_claims.claim_next(session=session, worker_id=worker, lease_seconds=60)
        return None if job is None else (job.id, job.workspace_id)


def test_an_upload_overtakes_another_workspaces_backlog(two_workspaces):
    runtime, busy, quiet = two_workspaces
    backlog = _enqueue(runtime, busy, 50)
    assert _claim(runtime) == (backlog[0], busy)  # the busy workspace is running one
    [upload] = _enqueue(runtime, quiet, 1)
    assert _claim(runtime) == (upload, quiet)  # the next free worker takes the upload
    assert _claim(runtime) == (backlog[1], busy)


def test_workspaces_with_waiting_work_take_turns(two_workspaces):
    runtime, busy, quiet = two_workspaces
    _enqueue(runtime, busy, 20)
    _enqueue(runtime, quiet, 3)
    owners = [_claim(runtime)[1] for _ in range(8)]  # nothing finishes meanwhile
    assert owners == [busy, quiet, busy, quiet, busy, quiet, busy, busy]


def _finish(runtime, job_id: int, worker: str = "w") -> None:
    with transaction(runtime.sessions) as session:
        jobs_service.mark_succeeded(session=session, job_id=job_id, worker_id=worker)


def test_an_upload_overtakes_a_backlog_when_each_job_finishes_before_the_next_claim(
        two_workspaces):
    """One worker (or workers finishing together) claims while nothing runs: every
    workspace counts zero running jobs, and the one served least recently goes first."""
    runtime, busy, quiet = two_workspaces
    backlog = _enqueue(runtime, busy, 30)
    first = _claim(runtime)
    assert first == (backlog[0], busy)
    _finish(runtime, first[0])
    [upload] = _enqueue(runtime, quiet, 1)
    assert _claim(runtime) == (upload, quiet)
    _finish(runtime, upload)
    assert _claim(runtime) == (backlog[1], busy)


def test_two_backlogs_alternate_on_a_single_worker(two_workspaces):
    runtime, busy, quiet = two_workspaces
    _enqueue(runtime, busy, 10)
    _enqueue(runtime, quiet, 10)
    owners = []
    for _ in range(6):
        job_id, owner = _claim(runtime)
        owners.append(owner)
        _finish(runtime, job_id)
    assert owners == [busy, quiet, busy, quiet, busy, quiet]


def test_priority_still_comes_before_fairness(two_workspaces):
    runtime, busy, quiet = two_workspaces
    _enqueue(runtime, quiet, 5, priority=JobPriority.bulk)  # quiet runs nothing, but bulk
    [interactive] = _enqueue(runtime, busy, 1)
    _claim(runtime)  # (busy is running a job now either way)
    assert _claim(runtime)[1] == quiet
    # An interactive job arriving now still goes first, whoever runs what.
    [later] = _enqueue(runtime, busy, 1)
    assert _claim(runtime) == (later, busy)
    assert interactive != later


def test_an_upload_starts_while_every_worker_runs_another_workspaces_long_job(
        tmp_path, database_url, make_client):
    """The fair-share thread: the quiet workspace's job does not wait for a running one."""
    client = make_client(test_settings(tmp_path / "data", database_url, worker_threads=1,
                                       worker_fair_share_threads=1))
    runtime = client.app.state.runtime
    busy = client.get("/api/v1/workspaces/current").json()["id"]
    quiet = client.post("/api/v1/workspaces", json={"name": "Quiet Team"}).json()["id"]
    release, started, done = threading.Event(), threading.Event(), []

    def long_job(ctx):
        started.set()
        assert release.wait(30)

    client.app.state.jobs["long"] = JobHandler(long_job)
    client.app.state.jobs["quick"] = JobHandler(lambda ctx: done.append(ctx.workspace_id))
    try:
        with transaction(runtime.sessions) as session:
            for n in range(3):  # a backlog of long jobs; the regular thread takes the first
                jobs_service.enqueue(session=session, kind="long", payload={"n": n},
                                     workspace_id=busy, notify=runtime.notify_jobs)
        assert started.wait(30)
        with transaction(runtime.sessions) as session:
            quick = jobs_service.enqueue(session=session, kind="quick", payload={},
                                         workspace_id=quiet, notify=runtime.notify_jobs).id
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with transaction(runtime.read_sessions) as session:
                if session.get(Job, quick).status == JobStatus.succeeded:
                    break
            time.sleep(0.02)
        assert done == [quiet]  # while the busy workspace's job still runs
        with transaction(runtime.read_sessions) as session:
            running = session.scalars(select(Job.workspace_id).where(
                Job.status == JobStatus.running)).all()
        assert running == [busy]  # the fair-share thread took none of the backlog
    finally:
        release.set()


@pytest.mark.postgres
def test_concurrent_claims_on_postgresql_take_different_jobs(tmp_path, postgres_url, make_client):
    """Two workers claim at the same moment: the second skips the row the first holds and
    takes the next job of that workspace (it used to find nothing, and its Celery token was
    spent: the job waited for the sweeper)."""
    client = make_client(test_settings(tmp_path / "data", postgres_url, worker_threads=0))
    runtime = client.app.state.runtime
    workspace = client.get("/api/v1/workspaces/current").json()["id"]
    first_job, second_job = _enqueue(runtime, workspace, 2)
    with runtime.sessions() as first, runtime.sessions() as second:
        taken = job_claims.claim_next(session=first, worker_id="a", lease_seconds=60)
        other = job_claims.claim_next(session=second, worker_id="b", lease_seconds=60)
        assert taken is not None and taken.id == first_job  # locked, not yet committed
        assert other is not None and other.id == second_job
        first.rollback()
        second.rollback()


@pytest.mark.postgres
def test_a_claim_passes_a_priority_whose_jobs_are_all_being_claimed(tmp_path, postgres_url,
                                                                    make_client):
    """The only preview job is locked by one worker's claim: a second worker takes the
    embedding job behind it instead of finding nothing (its Celery token was spent, and
    the embedding waited for the sweeper: a document's vectors stayed pending)."""
    client = make_client(test_settings(tmp_path / "data", postgres_url, worker_threads=0))
    runtime = client.app.state.runtime
    workspace = client.get("/api/v1/workspaces/current").json()["id"]
    [preview] = _enqueue(runtime, workspace, 1, priority=JobPriority.derived)
    [embedding] = _enqueue(runtime, workspace, 1, priority=JobPriority.bulk)
    with runtime.sessions() as first, runtime.sessions() as second:
        taken = job_claims.claim_next(session=first, worker_id="a", lease_seconds=60)
        other = job_claims.claim_next(session=second, worker_id="b", lease_seconds=60)
        assert taken is not None and taken.id == preview  # locked, not yet committed
        assert other is not None and other.id == embedding
        first.rollback()
        second.rollback()
