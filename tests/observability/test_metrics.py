"""Prometheus metrics: real requests counted by route template, in one and several processes."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from casework.core.database import transaction
from casework.jobs.models import Job, JobStatus
from tests.conftest import create_collection, ingest, test_settings
from tests.observability.conftest import ServerProcess


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in a text exposition (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(3) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(4))
    return 0.0


def test_requests_are_counted_by_route_template_not_raw_path(client):
    statuses = {client.get(f"/api/v1/documents/{document_id}").status_code
                for document_id in ("a1", "b2", "c3")}
    assert len(statuses) == 1
    status = str(statuses.pop())
    client.get("/no/such/page/123")
    client.get("/no/such/page/456")
    text = client.get("/metrics").text
    route = "/api/v1/documents/{document_id}"
    assert sample(text, "http_requests_total", method="GET", route=route, status=status) == 3
    assert sample(text, "http_requests_total", route="<unmatched>", status="404") == 2
    assert "a1" not in text and "/no/such" not in text  # bounded label values
    assert sample(text, "http_request_duration_seconds_count", method="GET", route=route) == 3
    assert "active_connections" in text


def _settled_job_counts(client) -> dict[str, int]:
    """Succeeded jobs by kind, once no job is queued or running (10 s at most)."""
    sessions = client.app.state.runtime.read_sessions
    deadline = time.monotonic() + 10
    while True:
        with transaction(sessions) as session:
            busy = session.scalar(select(func.count()).select_from(Job).where(
                Job.status.in_([JobStatus.queued, JobStatus.running])))
            done = dict(session.execute(select(Job.kind, func.count()).where(
                Job.status == JobStatus.succeeded).group_by(Job.kind)).all())
        if not busy or time.monotonic() > deadline:
            return done
        time.sleep(0.05)


def test_pipeline_queries_ingest_and_jobs_are_measured(client):
    collection = create_collection(client)
    files = [("a.txt", b"The forklift tipped over in the harbour."),
             ("b.md", b"# Minutes\nNobody mentioned a forklift.")]
    ingest(client, collection["id"], *files)
    client.post(f"/api/v1/collections/{collection['id']}/documents",
                files=[("files", ("again.txt", b"The forklift tipped over in the harbour.",
                                  "text/plain"))])
    assert client.get("/api/v1/search", params={"q": "forklift", "mode": "keyword"}
                      ).status_code == 200
    # Periodic maintenance (the hourly export clean-up) runs beside the uploads: let it end,
    # then the gauge must count what the job table holds.
    succeeded = _settled_job_counts(client)
    assert succeeded["process_document"] == 2
    text = client.get("/metrics").text
    for stage in ("open", "extract"):
        assert sample(text, "document_processing_seconds_count", stage=stage) == 2, stage
    assert sample(text, "query_response_seconds_count", mode="keyword") == 1
    assert sample(text, "ingest_documents_total", result="stored") == 2
    assert sample(text, "ingest_documents_total", result="duplicate") == 1
    assert sample(text, "ingest_bytes_total") == sum(len(data) for _, data in files)
    assert sample(text, "jobs", state="succeeded") == sum(succeeded.values())
    assert sample(text, "job_queue_depth") == 0
    assert sample(text, "workers_alive") == 1
    assert sample(text, "storage_free_bytes") > 0


def test_metrics_can_require_a_token(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "data", None, metrics_token="s3cret"))
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and "http_requests_total" in ok.text


@pytest.mark.slow
def test_a_multi_process_server_counts_every_request_and_logs_request_ids(tmp_path):
    server = ServerProcess(tmp_path / "data", workers=2)
    server.start()
    try:
        metrics_dir = tmp_path / "data" / "metrics"
        deadline = time.monotonic() + 90
        while len({p.stem.split("_")[-1] for p in metrics_dir.glob("*.db")}) < 2:
            assert time.monotonic() < deadline, "the second server process did not start"
            time.sleep(0.2)
        requests = 40

        def get(index: int) -> httpx.Response:
            # A new connection each time, so the kernel spreads them over both processes.
            return httpx.get(f"{server.url}/api/v1/documents/doc{index}", timeout=30,
                             headers={"X-Request-ID": f"req-{index:04d}"})

        with ThreadPoolExecutor(4) as pool:
            responses = list(pool.map(get, range(requests)))
        statuses = {r.status_code for r in responses}  # 404, or 401 where auth is required
        assert len(statuses) == 1 and statuses <= {401, 404}
        status = statuses.pop()
        for index, response in enumerate(responses):
            assert response.headers["x-request-id"] == f"req-{index:04d}"
        with httpx.Client(base_url=server.url, timeout=30) as http:
            generated = http.get("/api/v1/documents/x").headers["x-request-id"]
            assert re.fullmatch(r"[0-9a-f]{32}", generated)
            # Each scrape may land on either process; each must report the sum of both.
            scrapes = [http.get("/metrics").text for _ in range(6)]
        route = "/api/v1/documents/{document_id}"
        for text in scrapes:
            assert sample(text, "http_requests_total", method="GET", route=route,
                          status=str(status)) == requests + 1
    finally:
        assert server.stop() == 0  # SIGTERM: a clean, graceful exit
    lines = [json.loads(line) for line in server.log.read_text().splitlines()
             if line.startswith("{")]
    ours = [line for line in lines if line.get("request_id") == "req-0007"]
    assert ours, server.log.read_text()[-2000:]
    entry = ours[-1]
    assert entry["event"] == "request" and entry["level"] == "info"
    assert entry["route"] == route and entry["status"] == status
    assert entry["path"] == "/api/v1/documents/doc7" and entry["latency_ms"] >= 0
    assert "time" in entry
