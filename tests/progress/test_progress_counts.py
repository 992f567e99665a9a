"""Ingest progress counts every state and stage right, for a collection (read from its
indexes) and for a batch (one pass over its documents), and the collection's figures are
read without scanning the document table on SQLite."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import event

from casework.core.database import transaction, utcnow
from casework.documents.models import Document
from tests.conftest import create_collection, ingest, wait_for_documents, wait_for_jobs
from tests.fixtures.accounts import signed_in


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _close(value: str, expected: datetime) -> bool:
    return abs(_moment(value) - expected) < timedelta(milliseconds=5)


def _settle_as(client, now: datetime, states: dict[str, dict]) -> None:
    """Leave each document as the pipeline's stages leave it (a failed extraction, an
    OCR report, vectors that failed, a retried document waiting again), with set times."""
    with transaction(client.app.state.runtime.sessions) as session:
        for document_id, values in states.items():
            document = session.get(Document, document_id)
            for name, value in values.items():
                setattr(document, name, value)
            document.updated_at = values.get("updated_at", now - timedelta(hours=5))


def test_collection_and_batch_progress_count_every_state_stage_and_time(client):
    collection = create_collection(client)
    earlier = ingest(client, collection["id"], ("earlier.txt", b"stored before the batch"))[0]
    response = client.post(
        f"/api/v1/collections/{collection['id']}/documents",
        files=[("files", (f"{name}.txt", f"the {name} memo about the harbour".encode(),
                          "text/plain")) for name in ("a", "b", "c", "d", "e", "f")])
    batch_id = response.json()["batch_id"]
    ids = {d["document"]["filename"][0]: d["document"]["id"] for d in response.json()["documents"]}
    wait_for_documents(client, list(ids.values()))
    wait_for_jobs(client)
    now = utcnow()
    ago = lambda seconds: now - timedelta(seconds=seconds)  # noqa: E731
    _settle_as(client, now, {
        earlier["id"]: {"created_at": ago(3 * 3600), "processed_at": ago(3 * 3600)},
        ids["a"]: {"created_at": ago(7200), "processed_at": ago(3600),  # outside the window
                   "metadata_json": {"chunks": 1, "ocr": {"status": "done"}}},
        ids["b"]: {"created_at": ago(100), "processed_at": ago(60),
                   "metadata_json": {"chunks": 1, "ocr": {"status": "unavailable"}}},
        ids["c"]: {"created_at": ago(90), "status": "failed", "error": "unreadable",
                   "updated_at": ago(30)},
        ids["d"]: {"created_at": ago(80), "processed_at": ago(50),
                   "embedding_status": "failed"},
        ids["e"]: {"created_at": ago(70), "status": "queued", "processed_at": None},
        ids["f"]: {"created_at": ago(65), "processed_at": ago(40), "preview_status": "pending"},
    })

    batch = client.get(f"/api/v1/ingest-batches/{batch_id}").json()["progress"]
    whole = client.get(f"/api/v1/collections/{collection['id']}/progress").json()
    for progress, extra in ((batch, 0), (whole, 1)):  # the collection has `earlier` too
        assert progress["total"] == 6 + extra
        assert progress["states"] == {"queued": 1, "processing": 0, "ready": 4 + extra,
                                      "failed": 1}
        stages = progress["stages"]
        assert stages["stored"] == 6 + extra
        assert stages["text"] == {"pending": 1, "ready": 4 + extra, "failed": 1}
        assert stages["ocr"] == {"needed": 2, "done": 1, "unavailable": 1}
        assert stages["previews"] == {"pending": 1, "ready": 0, "failed": 0,
                                      "none": 4 + extra, "blocked": 1}
        assert stages["vectors"] == {"pending": 0, "ready": 0, "failed": 1,
                                     "skipped": 4 + extra, "blocked": 1}
        # b, d and f ready and c failed in the last five minutes; a an hour ago.
        assert progress["throughput"]["finished_in_window"] == 4
        assert progress["throughput"]["documents_per_second"] > 0
        assert progress["eta_seconds"] is not None  # e waits
        assert progress["done"] is False and progress["finished_at"] is None
    assert _close(batch["started_at"], ago(7200))
    assert _close(whole["started_at"], ago(3 * 3600))
    # Work has gone on since b arrived (100 s ago): the rate is over that, not 300 s.
    for progress in (batch, whole):
        assert 4 / 130 < progress["throughput"]["documents_per_second"] <= 4 / 100

    failures = client.get(f"/api/v1/collections/{collection['id']}/failures").json()
    assert failures["total"] == 2
    assert [(f["filename"], f["stage"]) for f in failures["items"]] == [
        ("c.txt", "text"), ("d.txt", "vectors")]
    assert client.get(f"/api/v1/ingest-batches/{batch_id}/failures").json()["total"] == 2

    # Everything through: done, finished when the last document finished (e, 20 s ago).
    _settle_as(client, now, {ids["e"]: {"status": "ready", "processed_at": ago(20)},
                             ids["f"]: {"preview_status": "ready"}})
    for progress in (client.get(f"/api/v1/ingest-batches/{batch_id}").json()["progress"],
                     client.get(f"/api/v1/collections/{collection['id']}/progress").json()):
        assert progress["done"] is True and progress["eta_seconds"] is None
        assert _close(progress["finished_at"], ago(20))
        assert progress["throughput"]["finished_in_window"] == 5


def test_an_empty_collection_has_no_figures(client):
    collection = create_collection(client)
    progress = client.get(f"/api/v1/collections/{collection['id']}/progress").json()
    assert progress["total"] == 0 and progress["started_at"] is None
    assert progress["stages"]["ocr"] == {"needed": 0}
    assert progress["throughput"]["finished_in_window"] == 0


# SQLite only: PostgreSQL picks its plans by its own statistics.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_collection_page_reads_its_progress_without_scanning_documents(client):
    """What keeps the panel fast at case size: every statement the collection page runs
    over documents searches an index on SQLite (a query spelling a partial index's
    condition differently from the index would scan the whole collection)."""
    collection = create_collection(client)
    docs = ingest(client, collection["id"], ("one.txt", b"harbour memo"),
                  ("two.txt", b"customs seizure"), ("three.txt", b"crane inspection"))
    wait_for_jobs(client)
    _settle_as(client, utcnow(), {
        docs[0]["id"]: {"status": "failed"}, docs[1]["id"]: {"status": "queued"},
        docs[2]["id"]: {"metadata_json": {"ocr": {"status": "done"}},
                        "embedding_status": "failed"}})
    browser, _ = signed_in(client)
    engine = client.app.state.runtime.engine
    statements: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "FROM document" in statement and statement.startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        assert browser.get(f"/collections/{collection['id']}").status_code == 200
        assert client.get(f"/api/v1/collections/{collection['id']}/progress").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    assert any("ocr.status" in s for s, _ in statements)
    assert any("'failed'" in s for s, _ in statements)  # the failures list
    used = set()
    with engine.connect() as conn:
        for statement, parameters in statements:
            plan = [row[-1] for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters)]
            assert not any(step.startswith("SCAN document") for step in plan), (statement, plan)
            used |= {word for step in plan for word in step.split() if word.startswith("ix_")}
    # The counts' covering index and the failures' partial index, each read by the
    # statement written for it. (ix_document_ocr too, once SQLite has statistics: without
    # them it rates the collection's listing index as good and walks it for OCR.)
    assert {"ix_document_stages", "ix_document_failing"} <= used, used
