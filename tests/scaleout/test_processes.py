"""Many processes at once: two API servers, two Celery workers and beat on one PostgreSQL,
Redis and S3, as real subprocesses. Nothing is shared but those three services."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.fixtures.files import make_pdf
from tests.fixtures.scaleout import S3_ACCESS_KEY, S3_SECRET_KEY, free_port

pytestmark = [pytest.mark.scaleout, pytest.mark.slow]

OWNER_EMAIL = "owner@example.test"  # the first owner, bootstrapped from ADMIN_EMAIL
OWNER_PASSWORD = "owner-password-for-tests"


class Process:
    def __init__(self, name: str, command: list[str], env: dict[str, str], log_dir: Path):
        self.name = name
        self.log = log_dir / f"{name}.log"
        self.process = subprocess.Popen(command, env=env, stdout=open(self.log, "ab"),  # noqa: SIM115
                                        stderr=subprocess.STDOUT)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def cluster(tmp_path, scaleout_postgres_url, redis_url, s3_server):
    tag = uuid.uuid4().hex[:10]
    base = {**os.environ, "ENVIRONMENT": "test", "DATABASE_URL": scaleout_postgres_url,
            "REDIS_URL": redis_url, "REDIS_NAMESPACE": f"cwtest-{tag}",
            "S3_ENDPOINT_URL": s3_server.endpoint_url, "S3_BUCKET": f"cwtest-{tag}",
            "S3_ACCESS_KEY_ID": S3_ACCESS_KEY, "S3_SECRET_ACCESS_KEY": S3_SECRET_KEY,
            "SEMANTIC_SEARCH": "false", "ADMIN_EMAIL": OWNER_EMAIL,
            "ADMIN_PASSWORD": OWNER_PASSWORD, "RATE_LIMIT_REQUESTS": "1000000",
            "LOGIN_RATE_LIMIT_PER_MINUTE": "1000", "UPLOAD_RATE_LIMIT_PER_HOUR": "1000000",
            "JOB_LEASE_SECONDS": "3", "JOB_SWEEP_SECONDS": "1",
            "JOB_RETRY_BASE_SECONDS": "0.1", "LOG_FORMAT": "console"}
    processes: list[Process] = []

    def env(name: str) -> dict[str, str]:
        return {**base, "DATA_DIR": str(tmp_path / name)}  # nothing local is shared

    cli = [sys.executable, "-m", "casework.cli.main"]
    # The schema first, once; then everything starts at the same time.
    subprocess.run([*cli, "migrate"], env=env("migrate"), check=True, capture_output=True)
    for name in ("worker1", "worker2"):
        processes.append(Process(name, [*cli, "worker", "--concurrency", "2"], env(name),
                                 tmp_path))
    processes.append(Process("beat", [*cli, "scheduler"], env("beat"), tmp_path))
    apis = []
    for name in ("api1", "api2"):
        port = free_port()
        processes.append(Process(name, [sys.executable, "-m", "uvicorn", "--factory",
                                        "casework.app:create_app", "--host", "127.0.0.1",
                                        "--port", str(port)], env(name), tmp_path))
        apis.append(f"http://127.0.0.1:{port}")
    clients = [_ready_client(url, processes) for url in apis]
    yield {"apis": clients, "workers": processes[:2], "database_url": scaleout_postgres_url}
    for client in clients:
        client.close()
    for process in processes:
        process.stop()


def _ready_client(url: str, processes: list[Process]) -> httpx.Client:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for process in processes:
            if process.process.poll() is not None:
                raise RuntimeError(f"{process.name} exited: {process.log.read_text()[-3000:]}")
        try:
            response = httpx.post(f"{url}/api/v1/auth/login", timeout=5,
                                  json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
            if response.status_code == 200:
                token = response.json()["tokens"]["access_token"]
                return httpx.Client(base_url=url, timeout=60,
                                    headers={"Authorization": f"Bearer {token}"})
            if response.status_code == 404:  # a build without accounts: no login needed
                return httpx.Client(base_url=url, timeout=60)
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not start")


def _upload(client: httpx.Client, collection_id: str, name: str, data: bytes) -> dict:
    response = client.post(f"/api/v1/collections/{collection_id}/documents",
                           files=[("files", (name, data, "application/octet-stream"))])
    assert response.status_code == 202, response.text
    return response.json()["documents"][0]


def _wait_ready(client: httpx.Client, document_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = client.get(f"/api/v1/documents/{document_id}").json()
        if doc["status"] in ("ready", "failed"):
            return doc
        time.sleep(0.1)
    raise AssertionError(f"document {document_id} is still {doc['status']}")


def test_two_apis_two_workers_one_truth(cluster):
    first, second = cluster["apis"]
    collection = first.post("/api/v1/collections", json={"name": "Case"}).json()

    # Upload through one API, find it through the other.
    uploaded = _upload(first, collection["id"], "memo.txt", b"the heliotrope ledger")
    assert _wait_ready(second, uploaded["document"]["id"])["status"] == "ready"
    hits = second.get("/api/v1/search", params={"q": "heliotrope", "mode": "keyword"}).json()
    assert [h["document_id"] for h in hits["hits"]] == [uploaded["document"]["id"]]

    # The same bytes through both APIs at the same moment: one document (uq constraint).
    payload = f"identical evidence bytes {uuid.uuid4().hex}".encode()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(
            lambda i: _upload((first, second)[i % 2], collection["id"], f"copy{i}.txt",
                              payload), range(8)))
    assert len({r["document"]["id"] for r in results}) == 1
    assert sum(not r["duplicate"] for r in results) == 1
    engine = create_engine(cluster["database_url"])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM document WHERE sha256 = "
                                 "encode(sha256(:p), 'hex')"), {"p": payload}).scalar() == 1
        constraints = conn.execute(text(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'document'::regclass "
            "AND contype = 'u'")).scalars().all()
    assert "uq_document_workspace_id_sha256" in constraints

    # SIGKILL the worker that holds a long job: it finishes elsewhere, nothing duplicated.
    pages = [f"Page {n}: " + "lorem ipsum dolor sit amet " * 60 for n in range(250)]
    big = _upload(first, collection["id"], "big.pdf", make_pdf(pages))["document"]
    victim = None
    deadline = time.monotonic() + 60
    while victim is None and time.monotonic() < deadline:
        with engine.connect() as conn:
            holder = conn.execute(text(
                "SELECT locked_by FROM job WHERE status = 'running' "
                "AND payload->>'document_id' = :d"), {"d": big["id"]}).scalar()
        if holder:
            pid = int(holder.split(":")[1])
            victim = next((w for w in cluster["workers"] if w.process.pid == pid), None)
        time.sleep(0.02)
    assert victim is not None, "no worker picked the job up"
    victim.kill()
    doc = _wait_ready(second, big["id"], timeout=180)
    assert doc["status"] == "ready", doc
    # The document is ready in the job's last transaction; the job row says succeeded in
    # the next one, a moment later.
    deadline = time.monotonic() + 30
    while True:
        with engine.connect() as conn:
            job = conn.execute(text("SELECT status, attempts FROM job WHERE kind = "
                                    "'process_document' AND payload->>'document_id' = :d"),
                               {"d": big["id"]}).one()
        if job.status != "running" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    with engine.connect() as conn:
        chunks = conn.execute(text("SELECT count(*), count(DISTINCT (page, ordinal)) "
                                   "FROM chunk WHERE document_id = :d"),
                              {"d": big["id"]}).one()
    engine.dispose()
    assert job.status == "succeeded" and job.attempts >= 2
    assert chunks[0] == chunks[1] == doc["metadata"]["chunks"] > 0
