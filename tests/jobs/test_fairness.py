"""One workspace's backlog does not starve another's uploads: the next free worker takes the
oldest job of the workspace running the fewest jobs (within the most urgent priority)."""

from __future__ import annotations

from pathlib import Path

import pytest

from casework.core.database import transaction
from casework.jobs import service as jobs_service
from casework.jobs.models import JobPriority
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
        job = jobs_service.claim_next(session=session, worker_id=worker, lease_seconds=60)
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
