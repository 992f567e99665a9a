"""The fault suite on the scale-out shape: a real `casework worker` SIGKILLed at random moments
of an ingest and started again; beat's sweeper finds what the dead worker held.

Every document ends ready or failed with a reason, none lost, duplicated or stuck, and no
blob is orphaned. The API runs in the test process; worker and beat are subprocesses that
share only PostgreSQL, Redis and the blob folder with it.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from casework.app import create_app
from casework.core.database import transaction
from tests.conftest import login, test_settings
from tests.fixtures.celery_processes import CaseworkProcess, scaleout_environment
from tests.jobs.test_kill_and_resume import (
    _fault_files,
    _kill_mid_work,
    _upload_all,
    _wait_while_progressing,
)

pytestmark = [pytest.mark.scaleout, pytest.mark.slow]

# Entities are off as in the embedded fault suite: spaCy's jobs add minutes on a loaded
# machine and nothing to what the kills test.
FAST = {"ENTITY_EXTRACTION": "false", "JOB_LEASE_SECONDS": "1", "JOB_SWEEP_SECONDS": "0.5",
        "JOB_RETRY_BASE_SECONDS": "0.1", "JOB_RETRY_MAX_SECONDS": "0.5"}


def test_random_worker_kills_during_ingest_leave_every_document_ready_or_failed(
        tmp_path: Path, postgres_url: str, redis_url: str, embedder) -> None:
    seed = int(os.environ.get("CASEWORK_FAULT_SEED", time.time()))
    rng = random.Random(seed)
    data_dir = tmp_path / "data"  # one machine's disk: the blob folder is shared
    namespace = f"cwtest-kills-{uuid.uuid4().hex[:10]}"
    settings = test_settings(data_dir, postgres_url, redis_url=redis_url,
                             redis_namespace=namespace, job_lease_seconds=1.0,
                             entity_extraction=False)
    env = scaleout_environment(data_dir, database_url=postgres_url, redis_url=redis_url,
                               namespace=namespace, **FAST)
    with TestClient(create_app(settings, embedder=embedder),
                    raise_server_exceptions=False) as client:
        tokens = login(client, settings.admin_email,
                       settings.admin_password.get_secret_value())
        client.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        runtime = client.app.state.runtime
        beat = CaseworkProcess("beat", ["scheduler"], env, tmp_path)
        worker = CaseworkProcess("worker-0", ["worker", "--concurrency", "2"], env, tmp_path)
        try:
            collection = client.post("/api/v1/collections", json={"name": "Faults"}).json()
            ids: list[str] = []
            for round_no in range(3):
                ids += _upload_all(client, collection["id"], _fault_files(rng, round_no))
                # SIGKILL while a job runs: acks, leases and heartbeats just stop.
                _kill_mid_work(client, rng, worker.process.kill)
                worker.process.wait(10)
                worker = CaseworkProcess(f"worker-{round_no + 1}",
                                         ["worker", "--concurrency", "2"], env, tmp_path)
            try:  # slow is not stuck: fail only when no job finishes for a while
                docs = _wait_while_progressing(client, ids, seed)
            except AssertionError as stuck:
                raise AssertionError(f"{stuck}\nworker: {worker.output()[-2000:]}") from None
            jobs = client.get("/api/v1/jobs", params={"limit": 200}).json()
        finally:
            worker.stop()
            beat.stop()

        assert len({d["id"] for d in docs}) == len(ids)  # none lost
        for doc in docs:
            if doc["filename"].endswith("broken.pdf"):
                assert doc["status"] == "failed" and "PDF" in doc["error"], (seed, doc)
            else:
                assert doc["status"] == "ready", (seed, doc)
        assert {j["status"] for j in jobs} <= {"succeeded", "failed"}, (seed, jobs)
        assert max(j["attempts"] for j in jobs) <= 5
        with transaction(runtime.read_sessions) as session:
            duplicated = session.execute(text(
                "SELECT document_id FROM chunk GROUP BY document_id "
                "HAVING count(*) <> count(DISTINCT (page, ordinal))")).all()
            stored = session.execute(text("SELECT workspace_id, sha256 FROM document")).all()
        assert duplicated == [], seed
    blobs = data_dir / "blobs"
    expected = {f"{ws}/originals/{sha[:2]}/{sha}" for ws, sha in stored}
    assert {str(p.relative_to(blobs)) for p in blobs.glob("*/originals/*/*")} == expected
    assert {p.name for p in blobs.glob("*/derived/*")} <= {sha for _ws, sha in stored}
