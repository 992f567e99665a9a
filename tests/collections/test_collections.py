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


def _found(client, q, **params):
    response = client.get("/api/v1/collections", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["items"]]


def test_q_finds_collections_by_name_or_reference_number(client):
    harbour = create_collection(client, "Harbour inquiry", reference="HB-2024-17")
    gala = create_collection(client, "Summer gala", kind="event", reference="EV-9")
    percent = create_collection(client, "100% audit")
    underscore = create_collection(client, "tax_return")
    assert _found(client, "harbour") == [harbour["id"]]
    assert _found(client, "hb-2024") == [harbour["id"]]  # a reference's prefix, any case
    assert _found(client, "  INQUIRY   harb ") == [harbour["id"]]  # every word, any order
    assert _found(client, "2024-17 inquiry") == [harbour["id"]]  # reference and name mixed
    assert _found(client, "ev-9") == [gala["id"]]
    assert _found(client, "harbour ev-9") == []  # each word must match the same collection
    assert _found(client, "gala", kind="case") == []  # with the other filters
    # LIKE's wildcards are plain characters here, not "anything".
    assert _found(client, "%") == [percent["id"]]
    assert _found(client, "_") == [underscore["id"]]
    assert _found(client, "x_r") == [underscore["id"]] and _found(client, "xr") == []
    # Blank is no filter; the total counts the matches only.
    assert len(_found(client, "  ")) == 4
    assert client.get("/api/v1/collections", params={"q": "r"}).json()["total"] == 3
    # A reference edited (or cleared) is found by its new value only.
    client.patch(f"/api/v1/collections/{harbour['id']}", json={"reference": "QY-1"})
    assert _found(client, "hb-2024") == [] and _found(client, "qy-1") == [harbour["id"]]
    client.patch(f"/api/v1/collections/{harbour['id']}", json={"reference": None})
    assert _found(client, "qy") == []


def test_q_is_bounded(client):
    create_collection(client, "Harbour inquiry")
    response = client.get("/api/v1/collections", params={"q": "x" * 201})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
    # Past 8 words: nothing found, rather than a statement of one LIKE pair per word.
    assert _found(client, " ".join(["harbour"] * 8)) != []
    assert _found(client, " ".join(["harbour"] * 20)) == []


def test_q_never_finds_another_workspaces_collections(client):
    mine = create_collection(client, "Harbour inquiry", reference="HB-1")
    other = client.post("/api/v1/workspaces", json={"name": "Other firm"}).json()
    theirs = client.post("/api/v1/collections", headers={"X-Workspace": other["slug"]},
                         json={"name": "Harbour dispute", "reference": "HB-2"}).json()
    assert _found(client, "harbour") == [mine["id"]]
    assert _found(client, "hb-2") == []
    in_other = client.get("/api/v1/collections", params={"q": "harbour"},
                          headers={"X-Workspace": other["slug"]}).json()
    assert [c["id"] for c in in_other["items"]] == [theirs["id"]]
