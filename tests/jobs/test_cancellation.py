"""Deleting a document cancels its work: queued jobs never run, a running one stops at its
next stage or page boundary, and nothing it wrote after the delete is left behind."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from casework.core.database import transaction
from casework.ingest.sandbox import SandboxPool
from casework.jobs import service as jobs_service
from casework.jobs.handlers import JobHandler
from casework.jobs.models import Job, JobStatus
from casework.jobs.worker import WorkerPool
from tests.conftest import create_collection, ingest, test_settings, upload


def _jobs(client, **params) -> list[dict]:
    return client.get("/api/v1/jobs", params=params).json()


def _wait_job(client, job_id: int, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def _blob_files(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "blobs").rglob("*") if p.is_file()]


def test_deleting_a_queued_document_drops_its_job(tmp_path, database_url, make_client):
    client = make_client(test_settings(tmp_path / "data", database_url, worker_threads=0))
    runtime = client.app.state.runtime
    collection = create_collection(client)
    doc_id = upload(client, collection["id"], ("memo.txt", b"the barge memo"))[0][
        "document"]["id"]
    assert client.delete(f"/api/v1/documents/{doc_id}").status_code == 204

    [job] = _jobs(client)
    assert (job["status"], job["error"]) == ("cancelled", "cancelled: the document was deleted")
    assert not WorkerPool(runtime, client.app.state.jobs, threads=0,
                          schedules_periodic=False).run_one()
    assert _jobs(client, status="cancelled")[0]["attempts"] == 0  # never ran


def test_deleting_a_document_stops_its_running_job_at_the_next_stage(
        tmp_path, database_url, make_client, monkeypatch):
    parsing, release = threading.Event(), threading.Event()
    original = SandboxPool.extract
    stages_after_parse = []

    def slow_extract(self, **kwargs):
        parsing.set()
        assert release.wait(30)
        return original(self, **kwargs)

    monkeypatch.setattr(SandboxPool, "extract", slow_extract)
    import casework.ingest.pipeline as pipeline

    real_index = pipeline._replace_pages
    monkeypatch.setattr(pipeline, "_replace_pages", lambda *a: (
        stages_after_parse.append("index"), real_index(*a))[1])
    data_dir = tmp_path / "data"
    client = make_client(test_settings(data_dir, database_url, worker_threads=1))
    collection = create_collection(client)
    doc_id = upload(client, collection["id"], ("long.txt", b"a long report on barges"))[0][
        "document"]["id"]
    assert parsing.wait(30)
    [running] = _jobs(client, status="running")
    assert client.delete(f"/api/v1/documents/{doc_id}").status_code == 204
    release.set()

    job = _wait_job(client, running["id"])
    assert job["status"] == "cancelled"  # not "succeeded" over a deleted document
    assert stages_after_parse == []  # stopped at the boundary after parsing
    assert client.get(f"/api/v1/documents/{doc_id}").status_code == 404
    assert (data_dir / "blobs").is_dir()
    assert _blob_files(data_dir) == []  # the original went with the document


def test_a_running_job_that_reports_progress_stops_when_its_document_goes(
        tmp_path, database_url, make_client):
    client = make_client(test_settings(tmp_path / "data", database_url, worker_threads=1))
    runtime = client.app.state.runtime
    collection = create_collection(client)
    doc = ingest(client, collection["id"], ("memo.txt", b"the barge memo"))[0]
    workspace_id = client.get("/api/v1/workspaces/current").json()["id"]
    steps, started = [], threading.Event()

    def embed_like(ctx):  # a page-by-page job, as embedding is
        for step in range(2000):
            ctx.report_progress(step / 2000)
            steps.append(step)
            started.set()
            time.sleep(0.005)

    client.app.state.jobs["embed-like"] = JobHandler(embed_like)
    with transaction(runtime.sessions) as session:
        job_id = jobs_service.enqueue(session=session, kind="embed-like",
                                      payload={"document_id": doc["id"]},
                                      workspace_id=workspace_id,
                                      notify=runtime.notify_jobs).id
    assert started.wait(30)
    assert client.delete(f"/api/v1/documents/{doc['id']}").status_code == 204

    assert _wait_job(client, job_id)["status"] == "cancelled"
    assert len(steps) < 2000
    with transaction(runtime.read_sessions) as session:
        assert session.get(Job, job_id).status == JobStatus.cancelled
