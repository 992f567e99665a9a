"""Notes: markdown with tags, in a collection, indexed like documents."""

from tests.conftest import create_collection


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
