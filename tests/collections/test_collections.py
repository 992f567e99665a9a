"""Collections: create, list, edit, delete, with validation and clear conflicts."""

from tests.conftest import create_collection, ingest


def test_create_read_update_list(client):
    created = create_collection(client, "Harbour inquiry", kind="case", reference="HB-17",
                                description="Body-cam and reports")
    assert created["kind"] == "case"
    assert created["reference"] == "HB-17"
    event = create_collection(client, "Summer gala", kind="event")
    fetched = client.get(f"/api/v1/collections/{created['id']}").json()
    assert fetched == created
    patched = client.patch(f"/api/v1/collections/{created['id']}",
                           json={"description": "updated", "kind": "notebook"}).json()
    assert patched["description"] == "updated" and patched["kind"] == "notebook"
    listing = client.get("/api/v1/collections").json()
    assert listing["total"] == 2
    only_events = client.get("/api/v1/collections", params={"kind": "event"}).json()
    assert [c["id"] for c in only_events["items"]] == [event["id"]]


def test_duplicate_name_is_a_conflict(client):
    create_collection(client, "Same")
    response = client.post("/api/v1/collections", json={"name": "Same"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_invalid_input_is_refused_with_field_names(client):
    for body in ({"name": ""}, {"name": "x" * 201}, {"name": "ok", "kind": "folder"},
                 {"name": "ok", "unknown": 1}, {}):
        response = client.post("/api/v1/collections", json=body)
        assert response.status_code == 422, body
        error = response.json()["error"]
        assert error["code"] == "invalid_input"
        assert error["message"].startswith("invalid request")


def test_unknown_collection_is_404(client):
    for method in ("get", "patch", "delete"):
        kwargs = {"json": {"name": "x"}} if method == "patch" else {}
        response = getattr(client, method)("/api/v1/collections/nope", **kwargs)
        assert response.status_code == 404
        assert response.json() == {"error": {"code": "not_found",
                                             "message": "collection not found"}}


def test_deleting_a_collection_deletes_its_documents_and_their_blobs(client, settings):
    collection = create_collection(client)
    ingest(client, collection["id"], ("a.txt", b"kraken sighting"))
    blobs = settings.data_dir / "blobs"
    assert any(p.is_file() for p in blobs.rglob("*"))
    assert client.delete(f"/api/v1/collections/{collection['id']}").status_code == 204
    assert client.get("/api/v1/documents").json()["total"] == 0
    assert client.get("/api/v1/search", params={"q": "kraken", "mode": "keyword"}
                      ).json()["hits"] == []
    assert not any(p.is_file() for p in blobs.rglob("*"))
