"""Semantic search switched on after content arrived: the skipped embeddings are queued."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from casework.app import create_app
from tests.conftest import create_collection, ingest, login, test_settings

pytestmark = pytest.mark.embedding


def _client(app_settings) -> TestClient:
    return TestClient(create_app(app_settings), raise_server_exceptions=False)


def _authenticate(client: TestClient, app_settings) -> None:
    token = login(client, app_settings.admin_email,
                  app_settings.admin_password.get_secret_value())["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"


def test_turning_semantic_search_on_embeds_what_was_skipped(tmp_path, embedder):
    data_dir = tmp_path / "data"
    off = test_settings(data_dir, semantic_search=False)
    with _client(off) as client:
        _authenticate(client, off)
        collection = create_collection(client)
        docs = ingest(client, collection["id"],
                      ("storm.txt", b"The river burst its banks and flooded the town."),
                      ("recipe.txt", b"Knead the dough, then let it rise somewhere warm."))
        note = client.post("/api/v1/notes", json={
            "title": "Interview", "body": "The suspect owns a small sailing boat.",
            "collection_id": collection["id"]}).json()
    assert {d["embedding_status"] for d in docs} == {"skipped"}

    on = test_settings(data_dir, semantic_search=True)
    app = create_app(on, embedder=embedder)
    with TestClient(app, raise_server_exceptions=False) as client:
        _authenticate(client, on)
        deadline = time.monotonic() + 120
        while {client.get(f"/api/v1/documents/{d['id']}").json()["embedding_status"]
               for d in docs} != {"ready"}:
            assert time.monotonic() < deadline, "skipped documents were never embedded"
            time.sleep(0.1)
        hits = client.get("/api/v1/search", params={
            "q": "natural disaster with water damage", "mode": "semantic"}).json()["hits"]
        assert hits[0]["filename"] == "storm.txt"
        while not any(h["note_id"] == note["id"] for h in client.get(
                "/api/v1/search", params={"q": "yacht owner", "mode": "semantic"}
                ).json()["hits"]):
            assert time.monotonic() < deadline, "the note was never embedded"
            time.sleep(0.1)
        jobs = {j["id"] for j in client.get("/api/v1/jobs", params={"limit": 100}).json()}
        embed_jobs = [j for j in client.get("/api/v1/jobs", params={"limit": 100}).json()
                      if j["kind"] in ("embed_document", "embed_note")]
        assert sorted(j["kind"] for j in embed_jobs) == [
            "embed_document", "embed_document", "embed_note"]

    # A second start finds nothing left to queue: no job is added twice.
    with TestClient(create_app(on, embedder=embedder)) as client:
        _authenticate(client, on)
        again = {j["id"] for j in client.get("/api/v1/jobs", params={"limit": 100}).json()}
        assert again == jobs
