"""Documents after upload: listing, filters, tags, retry, delete."""

from tests.conftest import create_collection, ingest, upload, wait_for_documents


def test_list_filters_and_pagination(client):
    first = create_collection(client, "First")
    second = create_collection(client, "Second")
    a, b = ingest(client, first["id"], ("a.txt", b"aaa"), ("b.md", b"# bee"))
    c = ingest(client, second["id"], ("c.txt", b"ccc"))[0]
    every = client.get("/api/v1/documents").json()
    assert every["total"] == 3
    assert [d["id"] for d in every["items"]] == [c["id"], b["id"], a["id"]]  # newest first
    by_collection = client.get("/api/v1/documents", params={"collection_id": first["id"]})
    assert {d["id"] for d in by_collection.json()["items"]} == {a["id"], b["id"]}
    by_type = client.get("/api/v1/documents", params={"media_type": "text/markdown"}).json()
    assert [d["id"] for d in by_type["items"]] == [b["id"]]
    ready = client.get("/api/v1/documents", params={"status": "ready"}).json()
    assert ready["total"] == 3
    page = client.get("/api/v1/documents", params={"limit": 2, "offset": 2}).json()
    assert [d["id"] for d in page["items"]] == [a["id"]]
    assert client.get("/api/v1/documents", params={"limit": 0}).status_code == 422


def test_tags_are_normalised_listed_and_filterable(client):
    collection = create_collection(client)
    doc = ingest(client, collection["id"], ("a.txt", b"tagged"))[0]
    response = client.put(f"/api/v1/documents/{doc['id']}/tags",
                          json={"tags": ["  Evidence ", "evidence", "Chain of Custody"]})
    assert response.json() == {"tags": ["evidence", "chain of custody"]}
    assert client.get(f"/api/v1/documents/{doc['id']}").json()["tags"] == [
        "chain of custody", "evidence"]
    tagged = client.get("/api/v1/documents", params={"tag": "Evidence"}).json()
    assert [d["id"] for d in tagged["items"]] == [doc["id"]]
    bad = client.put(f"/api/v1/documents/{doc['id']}/tags", json={"tags": ["<script>"]})
    assert bad.status_code == 422


def test_failed_document_can_be_retried_only_when_failed(client):
    collection = create_collection(client)
    doc_id = upload(client, collection["id"], ("x.pdf", b"%PDF-1.4 broken"))[0]["document"]["id"]
    assert wait_for_documents(client, [doc_id])[0]["status"] == "failed"
    retried = client.post(f"/api/v1/documents/{doc_id}/retry")
    assert retried.status_code == 202
    assert wait_for_documents(client, [doc_id])[0]["status"] == "failed"
    good = ingest(client, collection["id"], ("ok.txt", b"fine"))[0]
    assert client.post(f"/api/v1/documents/{good['id']}/retry").status_code == 409


def test_delete_removes_document_pages_and_blob(client, settings):
    collection = create_collection(client)
    keep, drop = ingest(client, collection["id"], ("keep.txt", b"keep me"),
                        ("drop.txt", b"drop me"))
    assert client.delete(f"/api/v1/documents/{drop['id']}").status_code == 204
    assert client.get(f"/api/v1/documents/{drop['id']}").status_code == 404
    assert client.get(f"/api/v1/documents/{drop['id']}/original").status_code == 404
    if settings.s3_bucket:  # the scale-out shape keeps blobs in the bucket
        store = client.app.state.runtime.blobs
        blobs = [key.rsplit("/", 1)[-1] for key in store.iter_keys() if "/originals/" in key]
    else:
        blobs = [p.name for p in (settings.data_dir / "blobs").rglob("*") if p.is_file()]
    assert blobs == [keep["sha256"]]
    assert client.delete(f"/api/v1/documents/{drop['id']}").status_code == 404
    # The same bytes can come back as a new document after deletion.
    again = upload(client, collection["id"], ("drop.txt", b"drop me"))[0]
    assert again["duplicate"] is False
