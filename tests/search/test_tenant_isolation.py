"""One tenant's volume never changes what another finds, nor the scores it sees (issue #15,
items 2 and 3), on SQLite and PostgreSQL, through the API.

Workspace B uploads thousands of passages holding the words that A searches for. Before
keyword indexes were per workspace, B's passages were the "newest" rows of a broad query
on SQLite and A's older matches vanished (`hits: []`, even with a collection filter), and
BM25 counted B's passages in every word's document frequency, so A's scores told how
many passages elsewhere held a word.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from casework.core.settings import Settings
from tests.conftest import create_collection, ingest, test_settings

B_PASSAGES = 3_600  # more than either engine ranks of a broad query (3,000 / 2,000)
# A's own passages: past PostgreSQL's 2,000, so A's searches take the bounded plan there
# (a smaller workspace is ranked exactly, by counting everything).
A_PASSAGES = 2_100


@pytest.fixture
def small_chunk_settings(tmp_path: Path, database_url: str | None,
                         shape_overrides: dict[str, Any]) -> Settings:
    """Passages of at most 64 tokens, so one upload makes thousands of them."""
    return test_settings(tmp_path / "data", database_url, chunk_tokens=64,
                         chunk_overlap_tokens=0, **shape_overrides)


def _passage(sentence: str) -> str:
    """About 190 characters: one passage each, at 200 characters a passage."""
    return (sentence + " and more" * 30)[:190].rsplit(" ", 1)[0] + "."


def _chunks(client: TestClient) -> int:
    engine = client.app.state.runtime.engine
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM chunk")).scalar_one()


def _analyze(client: TestClient) -> None:
    """On PostgreSQL, what autovacuum does after a bulk upload: fresh planner statistics."""
    engine = client.app.state.runtime.engine
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE chunk"))


def _hits(client: TestClient, q: str, **params: Any) -> list[tuple]:
    response = client.get("/api/v1/search", params={"q": q, "mode": "keyword", "limit": 20,
                                                    **params})
    assert response.status_code == 200, response.text
    return [(h["document_id"], h["start_char"], h["score"]) for h in response.json()["hits"]]


def _workspace_b(client: TestClient) -> dict[str, str]:
    response = client.post("/api/v1/workspaces", json={"name": "Tenant B"})
    assert response.status_code == 201, response.text
    return {"X-Workspace": response.json()["slug"]}


def _upload_many(client: TestClient, headers: dict[str, str], words: str) -> None:
    """One text file of B_PASSAGES passages, each holding `words`, uploaded by B."""
    client.headers.update(headers)
    try:
        collection = create_collection(client, "B's bulk")
        body = "\n\n".join(_passage(f"{words} line {n} of the bulk export from the other "
                                    "tenant") for n in range(B_PASSAGES))
        before = _chunks(client)
        ingest(client, collection["id"], ("bulk.txt", body.encode()))
        assert _chunks(client) - before >= B_PASSAGES
        _analyze(client)
        assert len(_hits(client, words)) == 20  # B finds its own passages
    finally:
        for name in headers:
            del client.headers[name]


A_BULK = ("bulk.txt", "\n\n".join(
    _passage(f"Tomatoes need sun and water, bed {n}; prune the roses in early spring.")
    for n in range(A_PASSAGES)).encode())
A_FILES = [
    ("minutes.txt", b"The archive ledger was reconciled in March by the clerk."),
    ("memo.txt", b"Box 14 of the archive holds the ledger of the harbour office."),
    ("notes.txt", b"The ledger is missing two pages; the archive has a copy."),
    ("garden.txt", b"Tomatoes need sun and water. Prune the roses in early spring."),
    ("travel.txt", b"The train to Lisbon leaves at nine; the ferry crosses the river."),
]


def test_another_tenants_volume_never_pushes_out_a_workspaces_older_matches(
        small_chunk_settings: Settings, make_client: Any) -> None:
    client = make_client(small_chunk_settings)
    collection = create_collection(client, "A's case")
    ingest(client, collection["id"], *A_FILES, A_BULK)
    assert _chunks(client) >= A_PASSAGES
    _analyze(client)
    in_collection = {"collection_id": collection["id"]}
    before = _hits(client, "archive ledger")
    before_filtered = _hits(client, "archive ledger", **in_collection)
    assert len(before) == 3 and before_filtered == before

    _upload_many(client, _workspace_b(client), "archive ledger")

    # Also through a restarted server: nothing memoised from before B's upload.
    for server in (client, make_client(small_chunk_settings)):
        assert _hits(server, "archive ledger") == before
        assert _hits(server, "archive ledger", **in_collection) == before_filtered


def test_scores_depend_only_on_the_callers_workspace(small_chunk_settings: Settings,
                                                    make_client: Any) -> None:
    client = make_client(small_chunk_settings)
    collection = create_collection(client, "A's case")
    ingest(client, collection["id"], *A_FILES,
           ("incident.txt", b"The forklift incident on 3 March injured one employee."),
           ("forklift.txt", b"Forklift maintenance log for the harbour warehouse."), A_BULK)
    _analyze(client)
    queries = ["forklift incident", "harbour ledger", "forklift"]
    before = {q: _hits(client, q) for q in queries}
    assert all(before.values())

    _upload_many(client, _workspace_b(client), "forklift incident harbour")

    for server in (client, make_client(small_chunk_settings)):
        assert {q: _hits(server, q) for q in queries} == before
