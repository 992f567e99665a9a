"""A job is given up after `max_attempts` however its attempts ended, and a file that cannot
be read fails at once with a sentence a user understands; only transient faults are retried."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from defusedxml import EntitiesForbidden
from sqlalchemy.exc import OperationalError

from casework.bootstrap import build_job_registry
from casework.core.database import transaction
from casework.ingest.job_kinds import PROCESS_DOCUMENT
from casework.ingest.sandbox import SandboxPool
from casework.jobs import claims as job_claims
from casework.jobs.models import Job, JobStatus
from casework.jobs.worker import WorkerPool
from tests.conftest import create_collection, test_settings, upload, wait_for_documents


@pytest.fixture
def idle_client(tmp_path: Path, database_url: str | None, make_client):
    """An app without worker threads: the test runs each claim itself (`claim_one`)."""
    return make_client(test_settings(tmp_path / "data", database_url, worker_threads=0))


def claim_one(runtime) -> bool:
    """What one worker thread does once: claim the next job and run it (or give it up)."""
    return WorkerPool(runtime, build_job_registry(runtime.settings), threads=0,
                      schedules_periodic=False).run_one()


def _die_while_running(runtime, job_id: int, times: int) -> None:
    """`times` workers claim the job and are killed before finishing: leases run out."""
    for n in range(times):
        with transaction(runtime.sessions) as session:
            job = job_claims.claim_next(session=session, worker_id=f"killed-{n}",
                                          lease_seconds=0.001)
            assert job is not None and job.id == job_id
        time.sleep(0.02)  # nobody renews the lease of a dead worker


def _job_of(runtime, document_id: str) -> Job:
    with transaction(runtime.read_sessions) as session:
        return next(job for job in session.query(Job).filter(Job.kind == PROCESS_DOCUMENT)
                    if job.payload.get("document_id") == document_id)


def test_a_file_that_kills_its_worker_every_time_fails_after_max_attempts(idle_client):
    runtime = idle_client.app.state.runtime
    collection = create_collection(idle_client)
    doc_id = upload(idle_client, collection["id"], ("crash.txt", b"kills the server"))[0][
        "document"]["id"]
    job_id = _job_of(runtime, doc_id).id
    _die_while_running(runtime, job_id, times=5)  # the server restarted after each death

    assert claim_one(runtime)  # the sixth start: the job is given up, not run
    doc = idle_client.get(f"/api/v1/documents/{doc_id}").json()
    assert doc["status"] == "failed"
    assert doc["error"] == "processing stopped 5 times (the worker died or was killed)"
    job = idle_client.get(f"/api/v1/jobs/{job_id}").json()
    assert (job["status"], job["attempts"]) == ("failed", 5)
    assert job["error"] == doc["error"]
    assert not claim_one(runtime)  # nothing left to claim


def test_a_worker_that_died_fewer_times_gets_another_attempt(idle_client):
    runtime = idle_client.app.state.runtime
    collection = create_collection(idle_client)
    doc_id = upload(idle_client, collection["id"], ("memo.txt", b"the barge memo"))[0][
        "document"]["id"]
    _die_while_running(runtime, _job_of(runtime, doc_id).id, times=2)

    assert claim_one(runtime)
    assert idle_client.get(f"/api/v1/documents/{doc_id}").json()["status"] == "ready"
    assert _job_of(runtime, doc_id).attempts == 3


@pytest.mark.parametrize(("error", "reason"), [
    (pdfium.PdfiumError("Failed to load page"), "the PDF is damaged or cannot be read"),
    (zipfile.BadZipFile("File is not a zip file"), "not a readable zip container"),
    (RecursionError("maximum recursion depth exceeded"), "nested too deeply to read"),
    (MemoryError(), "needs more memory to read than this server allows"),
    (EntitiesForbidden("lol", "&lol;", None, None, None, None), "built to exhaust memory"),
    (ValueError("an unexpected parser bug"), "could not process this file (ValueError)"),
], ids=["pdfium", "badzip", "recursion", "memory", "xml-entities", "unknown"])
def test_a_file_that_cannot_be_read_fails_at_once_with_a_readable_reason(
        tmp_path, database_url, make_client, monkeypatch, error, reason):
    # The job layer's side: a reader's exception reaching the worker (the parser process
    # describes the same exceptions with the same words: tests/ingest/test_hostile_files.py).
    def unreadable(self, **_):
        raise error

    monkeypatch.setattr(SandboxPool, "extract", unreadable)
    client = make_client(test_settings(tmp_path / "data", database_url))
    collection = create_collection(client)
    doc_id = upload(client, collection["id"], ("bad.txt", b"looks fine, reads badly"))[0][
        "document"]["id"]
    doc = wait_for_documents(client, [doc_id])[0]
    assert doc["status"] == "failed"
    assert reason in doc["error"]
    assert "Traceback" not in doc["error"]
    jobs = client.get("/api/v1/jobs", params={"status": "failed"}).json()
    assert [j["attempts"] for j in jobs] == [1]  # not retried


def test_a_busy_database_is_retried_and_the_document_gets_ready(
        tmp_path, database_url, make_client, monkeypatch):
    original = SandboxPool.extract
    calls = []

    def busy_twice(self, **kwargs):
        calls.append(1)
        if len(calls) <= 2:
            raise OperationalError("SELECT 1", {}, Exception("database is locked"))
        return original(self, **kwargs)

    monkeypatch.setattr(SandboxPool, "extract", busy_twice)
    client = make_client(test_settings(tmp_path / "data", database_url))
    collection = create_collection(client)
    doc_id = upload(client, collection["id"], ("ok.txt", b"the harbour ledger"))[0][
        "document"]["id"]
    assert wait_for_documents(client, [doc_id])[0]["status"] == "ready"
    jobs = client.get("/api/v1/jobs").json()
    assert [(j["status"], j["attempts"]) for j in jobs
            if j["kind"] == PROCESS_DOCUMENT] == [("succeeded", 3)]


def test_a_transient_fault_that_persists_fails_after_max_attempts_saying_so(
        tmp_path, database_url, make_client, monkeypatch):
    def unavailable(self, **_):
        raise ConnectionError("storage did not answer")

    monkeypatch.setattr(SandboxPool, "extract", unavailable)
    client = make_client(test_settings(tmp_path / "data", database_url, job_max_attempts=3))
    collection = create_collection(client)
    doc_id = upload(client, collection["id"], ("ok.txt", b"the harbour ledger"))[0][
        "document"]["id"]
    doc = wait_for_documents(client, [doc_id])[0]
    assert doc["status"] == "failed"
    assert doc["error"] == ("storage did not answer (ConnectionError); "
                            "gave up after 3 attempts")
    jobs = client.get("/api/v1/jobs").json()
    assert [(j["status"], j["attempts"]) for j in jobs] == [("failed", 3)]
    assert all(j["status"] != JobStatus.running for j in jobs)
