"""A SIGKILLed server loses no work: its jobs run again after restart, nothing duplicated."""

import sqlite3
import time

import pytest

from tests.fixtures.server import ServerProcess

pytestmark = pytest.mark.slow


def _wait(predicate, timeout, message):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.2)


def _upload(client, collection_id, name, data):
    response = client.post(f"/api/v1/collections/{collection_id}/documents",
                           files=[("files", (name, data, "text/plain"))])
    assert response.status_code == 202, response.text
    return response.json()["documents"][0]["document"]["id"]


def test_queued_jobs_survive_a_kill(tmp_path):
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir, WORKER_THREADS="0", SEMANTIC_SEARCH="false")
    client = server.start()
    try:
        collection = client.post("/api/v1/collections", json={"name": "Case"}).json()
        doc_id = _upload(client, collection["id"], "memo.txt", b"the memo about the barge")
        assert client.get(f"/api/v1/documents/{doc_id}").json()["status"] == "queued"
    finally:
        server.kill()

    server = ServerProcess(data_dir, WORKER_THREADS="1", SEMANTIC_SEARCH="false")
    client = server.start()
    try:
        doc = _wait(lambda: (d := client.get(f"/api/v1/documents/{doc_id}").json())
                    ["status"] == "ready" and d, 60, "document never became ready")
        assert doc["status"] == "ready"
        hits = client.get("/api/v1/search", params={"q": "barge", "mode": "keyword"}).json()
        assert [h["document_id"] for h in hits["hits"]] == [doc_id]
    finally:
        server.stop()


@pytest.mark.embedding
def test_a_job_killed_midway_runs_again_and_duplicates_nothing(tmp_path):
    data_dir = tmp_path / "data"
    env = {"WORKER_THREADS": "1", "SEMANTIC_SEARCH": "true", "JOB_LEASE_SECONDS": "2",
           "JOB_POLL_SECONDS": "0.1", "CHUNK_TOKENS": "64", "CHUNK_OVERLAP_TOKENS": "0"}
    # ~400 distinct passages: long enough to embed that we can kill in the middle.
    text = "\n\n".join(
        f"Entry {i}: the inspector visited warehouse {i} and counted {i * 7} crates of "
        f"machine parts, noting damage on shelf {i % 13} and a missing ledger page {i}."
        for i in range(400)).encode()
    server = ServerProcess(data_dir, **env)
    client = server.start()
    try:
        collection = client.post("/api/v1/collections", json={"name": "Audit"}).json()
        doc_id = _upload(client, collection["id"], "inspection.txt", text)

        def embedding_half_done():
            db = sqlite3.connect(data_dir / "casework.db")
            try:
                stored = db.execute("select count(*) from embedding").fetchone()[0]
            finally:
                db.close()
            return stored > 0

        _wait(embedding_half_done, 180, "embedding never got under way")
    finally:
        server.kill()

    db = sqlite3.connect(data_dir / "casework.db")
    chunks_before = db.execute("select count(*) from chunk").fetchone()[0]
    stored_before = db.execute("select count(*) from embedding").fetchone()[0]
    assert 0 < stored_before < chunks_before  # really killed midway
    db.close()

    server = ServerProcess(data_dir, **env)
    client = server.start()
    try:
        doc = _wait(lambda: (d := client.get(f"/api/v1/documents/{doc_id}").json())
                    ["embedding_status"] == "ready" and d, 240, "vectors never finished")
        assert doc["status"] == "ready"
        jobs = [j for j in client.get("/api/v1/jobs").json() if j["kind"] == "embed_document"]
        assert len(jobs) == 1
        assert jobs[0]["status"] == "succeeded"
        assert jobs[0]["attempts"] == 2
        hits = client.get("/api/v1/search", params={
            "q": "crates of machine parts counted by the inspector", "mode": "semantic"}).json()
        assert hits["hits"] and hits["hits"][0]["document_id"] == doc_id
    finally:
        server.stop()

    db = sqlite3.connect(data_dir / "casework.db")
    chunks = db.execute("select count(*) from chunk").fetchone()[0]
    distinct = db.execute("select count(distinct content_hash) from chunk").fetchone()[0]
    embeddings = db.execute("select count(*) from embedding").fetchone()[0]
    db.close()
    assert chunks == chunks_before  # no passage written twice
    assert embeddings == distinct  # every passage embedded exactly once
