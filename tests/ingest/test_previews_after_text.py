"""Text first, pictures after: a document is searchable before its previews are drawn,
previews are drawn before bulk embedding, and a failed drawing never fails the document."""

from __future__ import annotations

import threading

from sqlalchemy import text

from casework.core.database import build_engine
from casework.db import migrate
from casework.ingest.sandbox import SandboxFailure, SandboxPool
from casework.jobs.worker import WorkerPool
from tests.conftest import (
    OWNER_EMAIL,
    OWNER_PASSWORD,
    create_collection,
    ingest,
    test_settings,
    upload,
    wait_for_documents,
)
from tests.fixtures.accounts import anonymous
from tests.fixtures.files import make_pdf

PDF = make_pdf(["The harbour master signed the berth register on Tuesday."])


def _search(client, query: str) -> list[dict]:
    response = client.get("/api/v1/search", params={"q": query, "mode": "keyword"})
    assert response.status_code == 200, response.text
    return response.json()["hits"]


def _web_page(client, path: str) -> str:
    """The page as a signed-in browser gets it."""
    browser = anonymous(client)
    form = browser.get("/login").text
    token = form.split('name="login_token" value="')[1].split('"')[0]
    assert browser.post("/login", data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD,
                                        "login_token": token}).status_code in (200, 303)
    page = browser.get(path)
    assert page.status_code == 200
    return page.text


def test_a_pdf_is_searchable_while_its_previews_wait(tmp_path, database_url, make_client,
                                                      monkeypatch):
    drawing, release = threading.Event(), threading.Event()
    original = SandboxPool.derive

    def held_derive(self, **kwargs):
        drawing.set()
        assert release.wait(60)
        return original(self, **kwargs)

    monkeypatch.setattr(SandboxPool, "derive", held_derive)
    client = make_client(test_settings(tmp_path / "data", database_url, worker_threads=1))
    collection = create_collection(client)
    doc_id = upload(client, collection["id"], ("berth.pdf", PDF))[0]["document"]["id"]
    assert drawing.wait(60)

    [doc] = wait_for_documents(client, [doc_id], previews=False)
    assert (doc["status"], doc["preview_status"]) == ("ready", "pending")
    assert [hit["document_id"] for hit in _search(client, "berth register")] == [doc_id]
    assert client.get(f"/api/v1/documents/{doc_id}/thumbnail?size=320").status_code == 404
    assert "<dt>Previews</dt><dd>pending</dd>" in _web_page(client, f"/documents/{doc_id}")

    release.set()
    [doc] = wait_for_documents(client, [doc_id])
    assert doc["preview_status"] == "ready"
    assert doc["metadata"]["page_previews"] == 1
    thumbnail = client.get(f"/api/v1/documents/{doc_id}/thumbnail?size=320")
    assert thumbnail.status_code == 200
    assert thumbnail.headers["content-type"] == "image/webp"


def test_a_failed_drawing_leaves_the_document_ready_and_says_why(tmp_path, database_url,
                                                                 make_client, monkeypatch):
    def failing_derive(self, **kwargs):
        raise SandboxFailure("reading the file took longer than 1 s (MAX_DOCUMENT_SECONDS)")

    monkeypatch.setattr(SandboxPool, "derive", failing_derive)
    client = make_client(test_settings(tmp_path / "data", database_url))
    collection = create_collection(client)
    [doc] = ingest(client, collection["id"], ("berth.pdf", PDF))
    assert (doc["status"], doc["preview_status"]) == ("ready", "failed")
    assert "MAX_DOCUMENT_SECONDS" in doc["metadata"]["preview_error"]
    assert doc["error"] is None
    assert [hit["document_id"] for hit in _search(client, "harbour master")] == [doc["id"]]


def test_previews_are_drawn_after_every_uploads_text_and_before_embedding(
        tmp_path, database_url, make_client):
    client = make_client(test_settings(tmp_path / "data", database_url, worker_threads=0,
                                       semantic_search=True))
    collection = create_collection(client)
    for name in ("one.pdf", "two.pdf"):
        upload(client, collection["id"], (name, make_pdf([f"the {name} berth register"])))
    upload(client, collection["id"], ("memo.txt", b"a memo with no pictures"))
    pool = WorkerPool(client.app.state.runtime, client.app.state.jobs, threads=0,
                      schedules_periodic=False)
    while pool.run_one():
        pass
    jobs = client.get("/api/v1/jobs", params={"limit": 50}).json()
    order = [job["kind"] for job in sorted(jobs, key=lambda job: job["started_at"])]
    assert order == (["process_document"] * 3 + ["derive_previews"] * 2 + ["embed_document"] * 3
                     + ["find_near_duplicates"] * 3)
    assert {job["status"] for job in jobs} == {"succeeded"}
    docs = {d["filename"]: d for d in client.get(
        "/api/v1/documents", params={"collection_id": collection["id"]}).json()["items"]}
    assert docs["memo.txt"]["preview_status"] == "none"
    assert docs["one.pdf"]["preview_status"] == "ready"


def test_documents_from_before_the_migration_keep_their_previews(tmp_path, database_url,
                                                                 make_client):
    settings = test_settings(tmp_path / "data", database_url)
    client = make_client(settings)
    collection = create_collection(client)
    pdf, memo = ingest(client, collection["id"], ("berth.pdf", PDF),
                       ("memo.txt", b"a memo with no pictures"))
    client.__exit__(None, None, None)
    engine = build_engine(settings.resolved_database_url)
    try:
        migrate.downgrade(engine, "0010_pg_words_in_paths")
        migrate.upgrade(engine)
        with engine.connect() as conn:
            statuses = dict(conn.execute(text("SELECT id, preview_status FROM document")).all())
    finally:
        engine.dispose()
    assert statuses == {pdf["id"]: "ready", memo["id"]: "none"}
