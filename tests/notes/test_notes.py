"""Notes: markdown with tags, in a collection, indexed like documents."""

from tests.conftest import create_collection
from tests.fixtures.accounts import add_member


def keyword(client, q):
    return client.get("/api/v1/search", params={"q": q, "mode": "keyword"}).json()["hits"]


def test_note_life_cycle_keeps_search_in_step(client):
    collection = create_collection(client)
    created = client.post("/api/v1/notes", json={
        "title": "Call with witness", "body": "She heard a **loud bang** near the quay.",
        "collection_id": collection["id"], "tags": ["Interview"]})
    assert created.status_code == 201
    note = created.json()
    assert note["tags"] == ["interview"]
    hits = keyword(client, "bang quay")
    assert [(h["note_id"], h["media_type"], h["title"]) for h in hits] == [
        (note["id"], "note", "Call with witness")]

    edited = client.patch(f"/api/v1/notes/{note['id']}", json={"body": "Nothing heard."})
    assert edited.json()["body"] == "Nothing heard."
    assert edited.json()["tags"] == ["interview"]
    assert keyword(client, "bang") == []
    assert keyword(client, "heard")[0]["note_id"] == note["id"]

    listing = client.get("/api/v1/notes", params={"tag": "interview"}).json()
    assert [n["id"] for n in listing["items"]] == [note["id"]]
    in_collection = client.get("/api/v1/search", params={
        "q": "heard", "mode": "keyword", "collection_id": collection["id"], "type": "note"})
    assert in_collection.json()["hits"][0]["note_id"] == note["id"]

    assert client.delete(f"/api/v1/notes/{note['id']}").status_code == 204
    assert client.get(f"/api/v1/notes/{note['id']}").status_code == 404
    assert keyword(client, "heard") == []


def test_note_validation(client):
    assert client.post("/api/v1/notes", json={"title": ""}).status_code == 422
    assert client.post("/api/v1/notes", json={"title": "t", "body": "x" * 1_000_001}
                       ).status_code == 422
    missing = client.post("/api/v1/notes", json={"title": "t", "collection_id": "nope"})
    assert missing.status_code == 404


def _note_events(client):
    items = client.get("/api/v1/audit", params={"action": "note.", "limit": 200}).json()["items"]
    return [(e["action"], e["target_id"], e["details"]) for e in reversed(items)]


def test_creating_editing_and_deleting_a_note_is_audited(client):
    collection = create_collection(client)
    note = client.post("/api/v1/notes", json={
        "title": "Witness call", "body": "she saw the barge", "tags": ["a"],
        "collection_id": collection["id"]}).json()
    client.patch(f"/api/v1/notes/{note['id']}", json={"body": "she saw nothing", "tags": ["a"]})
    client.patch(f"/api/v1/notes/{note['id']}", json={"tags": ["b"], "title": "Witness call"})
    assert client.delete(f"/api/v1/notes/{note['id']}").status_code == 204
    assert _note_events(client) == [
        ("note.create", note["id"], {"collection_id": collection["id"]}),
        ("note.update", note["id"], {"fields": ["body"]}),
        ("note.update", note["id"], {"fields": ["tags"]}),
        ("note.delete", note["id"], {}),
    ]
    everything = client.get("/api/v1/audit", params={"action": "note."}).text
    assert "barge" not in everything and "Witness" not in everything  # the log holds no text


def test_a_refused_note_change_is_not_audited(client):
    assert client.post("/api/v1/notes", json={"title": "t", "collection_id": "nope"}
                       ).status_code == 404
    note = client.post("/api/v1/notes", json={"title": "kept"}).json()
    viewer = add_member(client, "viewer", "viewer@example.test")
    assert viewer.patch(f"/api/v1/notes/{note['id']}", json={"title": "x"}).status_code == 403
    assert viewer.delete(f"/api/v1/notes/{note['id']}").status_code == 403
    assert client.patch(f"/api/v1/notes/{note['id']}", json={"collection_id": "nope"}
                        ).status_code == 404
    assert _note_events(client) == [("note.create", note["id"], {"collection_id": None})]
