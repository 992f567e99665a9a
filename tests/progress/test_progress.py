"""Ingest transparency over HTTP: an upload batch of good and broken files, its counts by
state and stage, its failures (JSON and CSV) with reasons, and "retry failed only"."""

import csv
import io
import time

from tests.conftest import create_collection, ingest, wait_for_documents
from tests.fixtures.accounts import add_member

BROKEN_PDF = b"%PDF-1.7\n this is not really a pdf \n%%EOF"


def _upload(client, collection_id, *files):
    response = client.post(
        f"/api/v1/collections/{collection_id}/documents",
        files=[("files", (name, data, "application/octet-stream")) for name, data in files])
    assert response.status_code == 202, response.text
    return response.json()


def _settled(client, path, timeout=120.0):
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(path).json()
        progress = body.get("progress", body)
        if progress["done"]:
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def test_a_batch_of_good_and_broken_files_counts_lists_and_retries_only_the_failed(client):
    collection = create_collection(client)
    earlier = ingest(client, collection["id"], ("earlier.txt", b"stored before the batch"))[0]
    sent = _upload(client, collection["id"], ("memo.txt", b"harbour crane memo"),
                   ("notes.md", b"# Notes\n\ncustoms seizure"), ("broken.pdf", BROKEN_PDF),
                   ("again.txt", b"stored before the batch"))
    batch_id = sent["batch_id"]
    ids = {d["document"]["filename"]: d["document"]["id"] for d in sent["documents"]}
    wait_for_documents(client, list(ids.values()))

    batch = _settled(client, f"/api/v1/ingest-batches/{batch_id}")
    assert batch["batch"]["file_count"] == 4 and batch["batch"]["via"] == "api"
    assert batch["batch"]["collection_id"] == collection["id"]
    assert batch["batch"]["created_by_user_id"] == client.get("/api/v1/auth/me").json()["id"]
    assert (batch["documents"], batch["duplicates"]) == (3, 1)
    progress = batch["progress"]
    assert progress["total"] == 3
    assert progress["states"] == {"queued": 0, "processing": 0, "ready": 2, "failed": 1}
    stages = progress["stages"]
    assert stages["stored"] == 3
    assert stages["text"] == {"pending": 0, "ready": 2, "failed": 1}
    assert stages["vectors"]["skipped"] == 2  # semantic search is off in this client
    assert stages["previews"]["none"] == 2 and stages["vectors"]["blocked"] == 1
    assert progress["eta_seconds"] is None and progress["finished_at"] is not None
    assert progress["throughput"]["finished_in_window"] == 3
    assert progress["throughput"]["documents_per_second"] > 0

    # The collection counts the document stored before the batch too.
    whole = client.get(f"/api/v1/collections/{collection['id']}/progress").json()
    assert whole["total"] == 4 and whole["states"]["ready"] == 3

    failures = client.get(f"/api/v1/ingest-batches/{batch_id}/failures").json()
    assert failures["total"] == 1
    [failure] = failures["items"]
    assert (failure["filename"], failure["document_id"], failure["stage"], failure["code"],
            failure["attempts"]) == ("broken.pdf", ids["broken.pdf"], "text",
                                     "extraction_failed", 1)
    assert "PDF" in failure["message"]
    download = client.get(f"/api/v1/collections/{collection['id']}/failures.csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["filename"], r["document_id"], r["stage"], r["code"], r["attempts"])
            for r in rows] == [("broken.pdf", ids["broken.pdf"], "text",
                                "extraction_failed", "1")]

    before = {i: client.get(f"/api/v1/documents/{i}").json() for i in ids.values()}
    retried = client.post(f"/api/v1/ingest-batches/{batch_id}/retry-failed")
    assert retried.status_code == 202
    assert retried.json() == {"text": 1, "previews": 0, "vectors": 0, "entities": 0,
                              "vectors_not_retried": 0}
    assert client.get(f"/api/v1/documents/{ids['broken.pdf']}").json()["status"] in (
        "queued", "processing", "failed")
    wait_for_documents(client, list(ids.values()))
    # It ran again (a second job, failing the same way); the good ones were not touched.
    jobs = client.get("/api/v1/jobs", params={"status": "failed"}).json()
    assert len(jobs) == 2
    for name, document_id in ids.items():
        if name != "broken.pdf":
            assert client.get(f"/api/v1/documents/{document_id}").json()["processed_at"] == \
                before[document_id]["processed_at"]
    assert client.get(f"/api/v1/documents/{earlier['id']}").json()["status"] == "ready"
    audit = client.get("/api/v1/audit", params={"action": "ingest.retry_failed"}).json()
    assert [(e["target_type"], e["target_id"], e["details"]["text"])
            for e in audit["items"]] == [("ingest_batch", batch_id, 1)]
    # The batch is listed on its collection.
    listed = client.get(f"/api/v1/collections/{collection['id']}/ingest-batches").json()
    assert batch_id in [b["id"] for b in listed["items"]]


def test_retrying_a_collection_requeues_nothing_when_nothing_failed(client):
    collection = create_collection(client)
    ingest(client, collection["id"], ("fine.txt", b"all good"))
    retried = client.post(f"/api/v1/collections/{collection['id']}/retry-failed").json()
    assert retried["text"] == 0
    assert client.get(f"/api/v1/collections/{collection['id']}/failures").json() == {
        "items": [], "total": 0, "limit": 50, "offset": 0}
    assert client.get(f"/api/v1/collections/{collection['id']}/failures.csv").text \
        .splitlines() == ["filename,document_id,stage,code,message,attempts,failed_at"]


def test_failed_vectors_are_listed_and_retried_by_embedding_alone(semantic_client):
    client = semantic_client
    collection = create_collection(client)
    doc = ingest(client, collection["id"], ("memo.txt", b"vectors for this memo"),
                 vectors=True)[0]
    assert doc["embedding_status"] == "ready"
    runtime = client.app.state.runtime
    from casework.core.database import transaction
    from casework.documents.models import Document
    with transaction(runtime.sessions) as session:  # as embedding_failed leaves it
        stored = session.get(Document, doc["id"])
        stored.embedding_status = "failed"
        stored.metadata_json = {**stored.metadata_json, "embedding_error": "model crashed"}
    [failure] = client.get(f"/api/v1/collections/{collection['id']}/failures").json()["items"]
    assert (failure["stage"], failure["code"], failure["message"]) == (
        "vectors", "embedding_failed", "model crashed")
    retried = client.post(f"/api/v1/collections/{collection['id']}/retry-failed").json()
    assert (retried["text"], retried["vectors"]) == (0, 1)
    again = wait_for_documents(client, [doc["id"]], vectors=True)[0]
    assert again["embedding_status"] == "ready"
    assert again["processed_at"] == doc["processed_at"]  # not extracted again


def test_progress_is_refused_to_viewers_for_retry_and_hidden_across_workspaces(client):
    collection = create_collection(client)
    sent = _upload(client, collection["id"], ("broken.pdf", BROKEN_PDF))
    viewer = add_member(client, "viewer", "viewer@example.test")
    assert viewer.get(f"/api/v1/ingest-batches/{sent['batch_id']}").status_code == 200
    refused = viewer.post(f"/api/v1/collections/{collection['id']}/retry-failed")
    assert refused.status_code == 403
    other = client.post("/api/v1/workspaces", json={"name": "Other"}).json()
    elsewhere = {"X-Workspace": other["slug"]}
    for path in (f"/api/v1/ingest-batches/{sent['batch_id']}",
                 f"/api/v1/ingest-batches/{sent['batch_id']}/failures",
                 f"/api/v1/collections/{collection['id']}/progress"):
        response = client.get(path, headers=elsewhere)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert client.post(f"/api/v1/ingest-batches/{sent['batch_id']}/retry-failed",
                       headers=elsewhere).status_code == 404
