"""Interactive work overtakes a bulk backlog on Celery: a real worker, real Redis and PostgreSQL.

Kombu's Redis transport rotates a worker's queues after every message by default, so a burst
of uploads alternated with embeddings (each extraction waited behind one bulk job). These
tests read the order in which jobs finished from the job table; without the 'priority'
queue order they see bulk jobs in between the interactive ones.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from casework.bootstrap import build_runtime
from casework.core.database import transaction
from casework.db.migrate import upgrade
from casework.ingest.job_kinds import PROCESS_DOCUMENT
from casework.jobs import service as jobs_service
from casework.jobs.handlers import JobContext, JobHandler
from casework.jobs.models import Job, JobPriority, JobStatus
from casework.runtime import Runtime
from casework.search.job_kinds import EMBED_DOCUMENT
from tests.conftest import test_settings
from tests.fixtures.celery_processes import CaseworkProcess, scaleout_environment
from tests.fixtures.scaleout import celery_worker

pytestmark = pytest.mark.scaleout

BULK_JOBS = 24
INTERACTIVE_JOBS = 3  # an upload of three files


@pytest.fixture
def runtime(tmp_path: Path, postgres_url: str, redis_url: str) -> Iterator[Runtime]:
    """A runtime whose jobs go to Celery on Redis, under a namespace of its own."""
    settings = test_settings(tmp_path / "data", postgres_url, redis_url=redis_url,
                             redis_namespace=f"cwtest-order-{uuid.uuid4().hex[:10]}")
    runtime = build_runtime(settings)
    upgrade(runtime.engine)
    yield runtime
    runtime.close()


def enqueue(runtime: Runtime, kind: str, priority: int, count: int,
            payload: dict | None = None) -> list[int]:
    """`count` jobs in one transaction (as an upload makes them), sent after its commit."""
    with transaction(runtime.sessions) as session:
        jobs = [jobs_service.enqueue(session=session, kind=kind, payload=payload or {},
                                     workspace_id=None, priority=priority,
                                     notify=runtime.notify_jobs) for _ in range(count)]
    return [job.id for job in jobs]


def finish_order(runtime: Runtime, job_ids: list[int], *, timeout: float = 90.0,
                 worker: CaseworkProcess | None = None) -> list[Job]:
    """Wait until every job has finished; the jobs in the order they finished."""
    deadline = time.monotonic() + timeout
    while True:
        if worker is not None:
            worker.assert_running()
        with transaction(runtime.read_sessions) as session:
            jobs = session.scalars(select(Job).where(Job.id.in_(job_ids))).all()
            if all(job.finished_at is not None for job in jobs):
                return sorted(jobs, key=lambda job: (job.finished_at, job.id))
            statuses = {job.id: job.status for job in jobs}
        assert time.monotonic() < deadline, f"jobs did not finish: {statuses}"
        time.sleep(0.05)


def interactive_run(jobs: list[Job]) -> tuple[int, int]:
    """(position of the first interactive job, position after the last one) in `jobs`."""
    positions = [n for n, job in enumerate(jobs) if job.priority == JobPriority.interactive]
    return positions[0], positions[-1] + 1


def test_an_upload_overtakes_the_embedding_backlog_a_worker_is_draining(
        runtime: Runtime) -> None:
    def slow(ctx: JobContext) -> None:
        time.sleep(0.1)  # an embedding: long enough for the upload to arrive mid-backlog

    runtime.job_queue.registry["embed-like"] = JobHandler(slow)
    runtime.job_queue.registry["extract-like"] = JobHandler(lambda ctx: None)
    with celery_worker(runtime, concurrency=1):
        bulk = enqueue(runtime, "embed-like", JobPriority.bulk, BULK_JOBS)
        deadline = time.monotonic() + 30
        while True:  # the worker is busy with the backlog when the upload comes in
            with transaction(runtime.read_sessions) as session:
                started = session.scalar(select(Job.id).where(
                    Job.id.in_(bulk), Job.status != JobStatus.queued).limit(1))
            if started is not None:
                break
            assert time.monotonic() < deadline, "the worker never took a bulk job"
            time.sleep(0.02)
        interactive = enqueue(runtime, "extract-like", JobPriority.interactive,
                              INTERACTIVE_JOBS)
        jobs = finish_order(runtime, bulk + interactive)
    assert all(job.status == JobStatus.succeeded for job in jobs)
    first, end = interactive_run(jobs)
    # One after another, no bulk job in between, and most of the backlog still waiting.
    assert end - first == INTERACTIVE_JOBS, [job.priority for job in jobs]
    assert len(jobs) - end >= BULK_JOBS // 2, [job.priority for job in jobs]


@pytest.mark.slow
def test_casework_worker_serves_interactive_first_whatever_order_it_is_given(
        runtime: Runtime, tmp_path: Path, postgres_url: str, redis_url: str) -> None:
    """A real `casework worker` (one job at a time) started on a queue that already holds
    a bulk backlog and then an upload: the upload's jobs run first.

    The jobs are real kinds for documents deleted before they ran, which their handlers
    treat as done: every job is quick, so the order is the broker's alone.
    """
    missing = {"document_id": str(uuid.uuid4())}
    bulk = enqueue(runtime, EMBED_DOCUMENT, JobPriority.bulk, BULK_JOBS, missing)
    interactive = enqueue(runtime, PROCESS_DOCUMENT, JobPriority.interactive,
                          INTERACTIVE_JOBS, missing)
    env = scaleout_environment(tmp_path / "worker", database_url=postgres_url,
                               redis_url=redis_url,
                               namespace=runtime.settings.redis_namespace)
    worker = CaseworkProcess("worker", ["worker", "--concurrency", "1",
                                        "--queues", "bulk,interactive"], env, tmp_path)
    try:
        jobs = finish_order(runtime, bulk + interactive, timeout=120, worker=worker)
    finally:
        worker.stop()
    assert all(job.status == JobStatus.succeeded for job in jobs), worker.output()[-3000:]
    assert interactive_run(jobs) == (0, INTERACTIVE_JOBS), [job.priority for job in jobs]
