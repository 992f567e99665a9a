"""Search names the collections a query names: by name or reference number, beside the
passages (`collections`), on the first page, inside the caller's workspace, and never from
a stale cache."""

from tests.conftest import create_collection, ingest

ANSWER_KEYS = {"query", "mode", "hits", "collections", "entity_facets", "limit", "offset",
               "has_more", "took_ms", "warnings"}


def _search(client, q, **params):
    response = client.get("/api/v1/search", params={"q": q, "mode": "keyword", **params})
    assert response.status_code == 200, response.text
    return response.json()


def _named(client, q, **params):
    return [c["name"] for c in _search(client, q, **params)["collections"]]


def test_search_answers_with_the_collections_a_query_names(client):
    harbour = create_collection(client, "Harbour inquiry", reference="HB-2024-17")
    create_collection(client, "Summer gala", kind="event")
    create_collection(client, "Harbour fees", kind="notebook")
    ingest(client, harbour["id"], ("memo.txt", b"the harbour master signed the lease"),
           ("other.txt", b"the harbour was closed"))

    answer = _search(client, "harbour inquiry", limit=1)
    assert set(answer) == ANSWER_KEYS  # the passages' shape is unchanged
    assert answer["collections"] == [{"id": harbour["id"], "name": "Harbour inquiry",
                                      "kind": "case", "reference": "HB-2024-17"}]
    assert answer["hits"][0]["collection_id"] == harbour["id"] and answer["has_more"]
    # Every word, in the name or the reference, any case; stop words may be typed.
    assert _named(client, "hb-2024-17") == ["Harbour inquiry"]
    assert _named(client, "the HARBOUR") == ["Harbour fees", "Harbour inquiry"]
    assert _named(client, '"harbour" gala') == []
    # An exact reference comes first, whatever the names' order.
    fees = client.get("/api/v1/collections", params={"q": "fees"}).json()["items"][0]
    client.patch(f"/api/v1/collections/{fees['id']}", json={"reference": "harbour"})
    assert _named(client, "harbour") == ["Harbour fees", "Harbour inquiry"]
    client.patch(f"/api/v1/collections/{harbour['id']}", json={"reference": "Harbour"})
    client.patch(f"/api/v1/collections/{fees['id']}", json={"reference": None})
    assert _named(client, "harbour") == ["Harbour inquiry", "Harbour fees"]
    # Only the first page names them, and not a search inside one collection.
    assert _search(client, "harbour", limit=1, offset=1)["collections"] == []
    assert _search(client, "harbour", collection_id=harbour["id"])["collections"] == []
    # In every mode (semantic search is off here: keyword results and a warning).
    assert _named(client, "gala", mode="hybrid") == ["Summer gala"]


def test_a_renamed_or_deleted_collection_is_not_named_from_the_cache(client):
    """Asked twice, the second answer may come from the cache (the scale-out shape has one):
    a change to a collection makes the next search see it."""
    gala = create_collection(client, "Summer gala", kind="event")
    assert _named(client, "gala") == ["Summer gala"]
    assert _named(client, "gala") == ["Summer gala"]
    client.patch(f"/api/v1/collections/{gala['id']}", json={"name": "Winter ball"})
    assert _named(client, "gala") == []
    assert _named(client, "ball") == ["Winter ball"]
    assert client.delete(f"/api/v1/collections/{gala['id']}").status_code == 204
    assert _named(client, "ball") == []


def test_search_never_names_another_workspaces_collections(client):
    mine = create_collection(client, "Harbour inquiry")
    other = client.post("/api/v1/workspaces", json={"name": "Other firm"}).json()
    in_other = {"X-Workspace": other["slug"]}
    assert client.post("/api/v1/collections", headers=in_other, json={
        "name": "Harbour dispute", "reference": "HB-2"}).status_code == 201
    assert [c["id"] for c in _search(client, "harbour")["collections"]] == [mine["id"]]
    assert _search(client, "hb-2")["collections"] == []
    theirs = client.get("/api/v1/search", headers=in_other, params={"q": "harbour"}).json()
    assert [c["name"] for c in theirs["collections"]] == ["Harbour dispute"]
