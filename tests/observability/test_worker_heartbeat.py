"""Readiness sees the Celery workers of the scale-out shape through their heartbeats.

A real `casework worker` (threads and prefork pools) against real Redis and PostgreSQL:
the API's /health/ready reports it alive from its first moment, and not alive once it has
been stopped, without waiting for its heartbeat to go stale.
"""

from __future__ import annotations

import time
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from casework.app import create_app
from tests.conftest import test_settings
from tests.fixtures.celery_processes import CaseworkProcess, scaleout_environment

pytestmark = [pytest.mark.scaleout, pytest.mark.slow]


def wait_for(client: TestClient, status: int, worker: CaseworkProcess | None = None, *,
             workers: str | None = None, timeout: float = 90.0) -> dict:
    """Poll readiness until it answers `status` (and the workers check says `workers`)."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get("/health/ready")
        detail = response.json()["checks"]["workers"].get("detail")
        if response.status_code == status and workers in (None, detail):
            return response.json()
        if worker is not None:
            worker.assert_running()
        assert time.monotonic() < deadline, response.text
        time.sleep(0.3)


@pytest.mark.parametrize(("pool", "processes"), [("threads", 1), ("prefork", 2)])
def test_readiness_reports_the_heartbeats_of_celery_workers(
        pool, processes, tmp_path, postgres_url, redis_url, embedder):
    namespace = f"cwtest-hb-{uuid.uuid4().hex[:10]}"
    shared = {"redis_url": redis_url, "redis_namespace": namespace,
              "worker_heartbeat_seconds": 1.0}
    # The API tier as deployed, except that this one insists on a live worker.
    strict = test_settings(tmp_path / "api", postgres_url, worker_threads=0,
                           health_require_workers=True, **shared)
    relaxed = test_settings(tmp_path / "api2", postgres_url, worker_threads=0, **shared)
    with TestClient(create_app(strict, embedder=embedder)) as client, \
            TestClient(create_app(relaxed, embedder=embedder)) as other:
        body = wait_for(client, 503)  # migrated, but no worker yet
        assert body["failing"] == ["workers"]
        assert other.get("/health/ready").json()["checks"]["workers"]["status"] == "skipped"

        env = scaleout_environment(tmp_path / "worker", database_url=postgres_url,
                                   redis_url=redis_url, namespace=namespace,
                                   WORKER_HEARTBEAT_SECONDS="1")
        worker = CaseworkProcess(f"worker-{pool}", ["worker", "--pool", pool,
                                                    "--concurrency", "2"], env, tmp_path)
        try:
            # Every process that runs jobs beats: the worker, or each prefork child.
            body = wait_for(client, 200, worker, workers=f"{processes} alive")
            assert body["checks"]["workers"]["status"] == "ok"
            # An API that does not require workers still reports the ones it sees.
            seen = other.get("/health/ready").json()["checks"]["workers"]
            assert seen["status"] == "ok" and seen["detail"] == f"{processes} alive"
        finally:
            code = worker.stop()
        assert code == 0, worker.output()[-3000:]
        # A clean stop removes the heartbeat rows: readiness knows at once, not once stale.
        engine = create_engine(postgres_url)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT count(*) FROM worker_heartbeat")).scalar()
        engine.dispose()
        assert rows == 0
        body = client.get("/health/ready").json()
        assert body["failing"] == ["workers"]
