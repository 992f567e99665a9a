"""A long document is embedded by several jobs, one span of chunks each, so that both
worker threads share it; its vectors are ready only once every span is done."""

from __future__ import annotations

import itertools

from sqlalchemy import func, select

from casework.core.database import transaction
from casework.jobs.worker import WorkerPool
from casework.search import embedding_jobs
from casework.search.models import Chunk
from casework.search.stored_vectors import has_vector
from tests.conftest import create_collection, test_settings, upload

PARAGRAPHS = [f"Section {n}. The vessel Morning Star {word} at berth {n} of the north quay."
              * 25 for n, word in enumerate(["docked", "unloaded", "refuelled", "sailed",
                                             "returned", "anchored", "waited"])]


def _embedding_jobs(client) -> list[dict]:
    jobs = client.get("/api/v1/jobs", params={"limit": 100}).json()
    return [job for job in jobs if job["kind"] == "embed_document"]


def _document(client, doc_id: str) -> dict:
    return client.get(f"/api/v1/documents/{doc_id}").json()


def test_a_long_document_is_embedded_in_spans_and_ready_after_the_last(
        tmp_path, database_url, make_client, monkeypatch):
    monkeypatch.setattr(embedding_jobs, "SPAN_CHUNKS", 2)
    client = make_client(test_settings(tmp_path / "data", database_url, worker_threads=0,
                                       semantic_search=True))
    runtime = client.app.state.runtime
    collection = create_collection(client)
    doc_id = upload(client, collection["id"],
                    ("quay.txt", "\n\n".join(PARAGRAPHS).encode()))[0]["document"]["id"]
    pool = WorkerPool(runtime, client.app.state.jobs, threads=0, schedules_periodic=False)
    assert pool.run_one()  # process_document
    with transaction(runtime.read_sessions) as session:
        chunks = session.scalar(select(func.count()).select_from(Chunk)
                                .where(Chunk.document_id == doc_id))
    assert chunks >= 5

    assert pool.run_one()  # the embedding job: keeps the first span, queues the others
    jobs = _embedding_jobs(client)
    spans = sorted(job["payload"]["span"] for job in jobs)
    assert len(jobs) == (chunks + 1) // 2
    assert all(job["payload"]["document_id"] == doc_id for job in jobs)
    assert [job["status"] for job in jobs].count("succeeded") == 1
    assert spans[0][0] < spans[-1][1] and all(a[1] < b[0] for a, b in itertools.pairwise(spans))
    assert _document(client, doc_id)["embedding_status"] == "pending"  # spans still queued

    while pool.run_one():
        pass
    jobs = _embedding_jobs(client)
    assert {job["status"] for job in jobs} == {"succeeded"}
    assert _document(client, doc_id)["embedding_status"] == "ready"
    with transaction(runtime.read_sessions) as session:
        unembedded = session.scalar(select(func.count()).select_from(Chunk).where(
            Chunk.document_id == doc_id, ~has_vector(runtime.embedder.name)))
    assert unembedded == 0
    hits = client.get("/api/v1/search", params={"q": "the vessel waited at the quay",
                                                 "mode": "semantic"}).json()["hits"]
    assert hits and {hit["document_id"] for hit in hits} == {doc_id}
