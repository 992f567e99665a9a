"""A long document is written in several transactions, and none of them is left half-done.

`process_document` commits its chunks in batches so that SQLite's single write lock is
free between them (docs/benchmarks.md: one transaction for a 200 MB file made other
writers time out). These tests make batches tiny and check what a user sees: every page
and chunk exactly once after success, after a retried failure between batches, and none
after a document fails for good.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from casework.ingest import pipeline
from casework.search import indexing
from casework.search.models import Chunk
from tests.conftest import create_collection, ingest, test_settings, upload, wait_for_documents
from tests.fixtures.files import make_pdf

PAGES = 12


def _document() -> tuple[str, bytes]:
    """A PDF of PAGES pages, each long enough for a few chunks."""
    return "log.pdf", make_pdf([
        f"Page {n} of the harbour log: vessel {n * 7} arrived under a clear sky. " * 30
        for n in range(1, PAGES + 1)])


def _chunks_of(client, document_id: str) -> list[tuple[int, int]]:
    runtime = client.app.state.runtime
    with runtime.sessions() as session:
        return list(session.execute(
            select(Chunk.page, Chunk.ordinal).where(Chunk.document_id == document_id)
            .order_by(Chunk.page, Chunk.ordinal)).tuples())


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "COMMIT_CHUNKS", 3)
    monkeypatch.setattr(pipeline, "COMMIT_PAGES", 2)


def test_a_document_written_in_many_batches_has_every_chunk_once(
        client, small_batches, monkeypatch: pytest.MonkeyPatch):
    commits: list[int] = []
    original = indexing.write_chunks

    def counting(**kwargs: Any) -> int:
        commits.append(1)
        return original(**kwargs)

    monkeypatch.setattr(indexing, "write_chunks", counting)
    collection = create_collection(client)
    doc = ingest(client, collection["id"], _document())[0]

    chunks = _chunks_of(client, doc["id"])
    assert len(chunks) == len(set(chunks)) == doc["metadata"]["chunks"]
    assert {page for page, _ in chunks} == set(range(1, PAGES + 1))
    pages = client.get(f"/api/v1/documents/{doc['id']}/pages").json()
    assert [p["number"] for p in pages] == list(range(1, PAGES + 1))
    hits = client.get("/api/v1/search", params={"q": "vessel 84", "mode": "keyword"}).json()
    assert hits["hits"][0]["page"] == 12


def test_a_failure_between_batches_is_retried_without_duplicates(
        client, small_batches, monkeypatch: pytest.MonkeyPatch):
    original = indexing.write_chunks
    calls = {"n": 0}
    lock = threading.Lock()

    def failing_once(**kwargs: Any) -> int:
        with lock:
            calls["n"] += 1
            if calls["n"] == 5:  # after some batches committed
                raise OSError("disk hiccup")
        return original(**kwargs)

    monkeypatch.setattr(indexing, "write_chunks", failing_once)
    collection = create_collection(client)
    doc = ingest(client, collection["id"], _document())[0]

    assert calls["n"] > PAGES  # the second attempt wrote every page again
    chunks = _chunks_of(client, doc["id"])
    assert len(chunks) == len(set(chunks)) == doc["metadata"]["chunks"]
    pages = client.get(f"/api/v1/documents/{doc['id']}/pages").json()
    assert [p["number"] for p in pages] == list(range(1, PAGES + 1))


def test_a_document_that_fails_for_good_leaves_no_pages_searchable(
        tmp_path, database_url, shape_overrides, make_client, small_batches,
        monkeypatch: pytest.MonkeyPatch):
    client = make_client(test_settings(tmp_path / "data", database_url, job_max_attempts=2,
                                       **shape_overrides))
    original = indexing.write_chunks
    calls = {"n": 0}
    lock = threading.Lock()

    def failing_late(**kwargs: Any) -> int:
        with lock:
            calls["n"] += 1
            fail = calls["n"] % PAGES == 8  # some batches of each attempt committed
        if fail:  # batches before it committed
            raise OSError("disk full")
        return original(**kwargs)

    monkeypatch.setattr(indexing, "write_chunks", failing_late)
    collection = create_collection(client)
    uploaded = upload(client, collection["id"], _document())
    doc = wait_for_documents(client, [uploaded[0]["document"]["id"]])[0]

    assert doc["status"] == "failed"
    assert "disk full" in doc["error"]
    assert _chunks_of(client, doc["id"]) == []
    assert client.get(f"/api/v1/documents/{doc['id']}/pages").json() == []
    hits = client.get("/api/v1/search", params={"q": "harbour", "mode": "keyword"}).json()
    assert hits["hits"] == []
    runtime = client.app.state.runtime
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Chunk)) == 0
