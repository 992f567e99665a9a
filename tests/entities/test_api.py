"""The entity API and pages as clients use them: merging spelling variants, searching the
documents that mention an entity, facets, the web pages, and other workspaces kept out."""

import re
import uuid

from tests.conftest import create_collection, ingest
from tests.entities.conftest import letter_eml, wait_for_entities
from tests.fixtures.accounts import add_member, signed_in

# Sentences the small model reads right: what it misses is measured in bench/entities.py.
NOTICE = b"""Northgate Insurance Ltd wrote to Anna Kowalski about the hearing in Leeds.
Reference CR-2024-0999."""
MINUTES = b"""Peter Grant, a partner at Harbour Law LLP, met Anna Kowalski in Leeds.
Anna Kowalski thanked Northgate Insurance."""
UNRELATED = b"""The garden committee met in Leeds. Peter Grant chaired the meeting."""


def _entity(client, kind, key):
    items = client.get("/api/v1/entities", params={"kind": kind, "limit": 200}).json()["items"]
    found = [e for e in items if e["key"] == key]
    assert found, (kind, key, items)
    return found[0]


def _ingest(client, *files):
    collection = create_collection(client, f"Case {uuid.uuid4().hex[:8]}")
    docs = ingest(client, collection["id"], *files)
    wait_for_entities(client, [d["id"] for d in docs])
    return collection, docs


def test_merging_a_spelling_variant_moves_its_mentions_and_is_audited(entity_client):
    client = entity_client
    _, (notice, minutes, _) = _ingest(client, ("notice.txt", NOTICE),
                                      ("minutes.txt", MINUTES), ("garden.txt", UNRELATED))
    short = _entity(client, "organisation", "northgate insurance")
    full = _entity(client, "organisation", "northgate insurance ltd")
    merged = client.post(f"/api/v1/entities/{short['id']}/merge", json={"into": full["id"]})
    assert merged.status_code == 200, merged.text
    assert merged.json()["id"] == full["id"]
    assert merged.json()["mentions"] == full["mentions"] + short["mentions"]
    assert merged.json()["documents"] == 2
    # The variant is gone from the list; its old id answers with the survivor.
    keys = {e["key"] for e in client.get("/api/v1/entities",
                                         params={"kind": "organisation"}).json()["items"]}
    assert "northgate insurance" not in keys
    old = client.get(f"/api/v1/entities/{short['id']}").json()
    assert old["entity"]["id"] == full["id"]
    assert {m["document_id"] for m in old["mentions"]["items"]} == {notice["id"], minutes["id"]}
    events = client.get("/api/v1/audit", params={"action": "entity.merge"}).json()["items"]
    assert [e["target_id"] for e in events] == [full["id"]]
    # A later document spelling it the merged way lands on the survivor.
    _ingest(client, ("later.txt", b"Peter Grant wrote again to Northgate Insurance in Leeds."))
    assert client.get(f"/api/v1/entities/{full['id']}").json()["entity"]["documents"] == 3


def test_a_merge_needs_the_same_kind_and_two_entities(entity_client):
    client = entity_client
    _ingest(client, ("notice.txt", NOTICE))
    person = _entity(client, "person", "anna kowalski")
    place = _entity(client, "place", "leeds")
    wrong_kind = client.post(f"/api/v1/entities/{person['id']}/merge", json={"into": place["id"]})
    assert wrong_kind.status_code == 422 and "person" in wrong_kind.json()["error"]["message"]
    itself = client.post(f"/api/v1/entities/{person['id']}/merge", json={"into": person["id"]})
    assert itself.status_code == 422
    missing = client.post(f"/api/v1/entities/{person['id']}/merge", json={"into": "0" * 32})
    assert missing.status_code == 404


def test_search_filters_by_entity_and_offers_entity_facets(entity_client):
    client = entity_client
    _, (notice, minutes, garden) = _ingest(client, ("notice.txt", NOTICE),
                                           ("minutes.txt", MINUTES), ("garden.txt", UNRELATED))
    anna = _entity(client, "person", "anna kowalski")
    everything = client.get("/api/v1/search", params={"q": "Leeds", "mode": "keyword"}).json()
    assert {h["document_id"] for h in everything["hits"]} == {notice["id"], minutes["id"],
                                                              garden["id"]}
    facets = {f["key"]: f for f in everything["entity_facets"]}
    assert facets["leeds"]["documents"] == 3 and facets["anna kowalski"]["documents"] == 2
    assert everything["entity_facets"][0]["key"] == "leeds"  # most documents first
    for mode in ("keyword", "hybrid"):
        only = client.get("/api/v1/search", params={"q": "Leeds", "mode": mode,
                                                    "entity": anna["id"]}).json()
        assert {h["document_id"] for h in only["hits"]} == {notice["id"], minutes["id"]}, mode
    unknown = client.get("/api/v1/search", params={"q": "Leeds", "entity": "0" * 32})
    assert unknown.status_code == 404


def test_the_pages_list_entities_and_cite_each_mention(entity_client):
    collection, (document,) = _ingest(entity_client, ("transfer.eml", letter_eml()))
    client, csrf = signed_in(entity_client)
    html = {"Accept": "text/html"}
    listing = client.get("/entities", params={"kind": "person"}, headers=html)
    assert listing.status_code == 200 and "John O&#39;Brien" in listing.text
    in_collection = client.get("/entities", params={"collection_id": collection["id"]},
                               headers=html)
    assert "Harbour Law LLP" in in_collection.text
    john = _entity(entity_client, "person", "john obrien")
    page = client.get(f"/entities/{john['id']}", headers=html)
    assert page.status_code == 200
    links = re.findall(r'href="(/documents/[^"]+)"', page.text)
    assert len(links) == 2
    # Each link opens the document's page with the mention highlighted.
    cited = client.get(links[0].replace("&amp;", "&"), headers=html)
    assert re.search(r"<mark[^>]*>John O&#39;Brien</mark>", cited.text), cited.text[-3000:]
    search = client.get("/search", params={"q": "transfer", "mode": "keyword"}, headers=html)
    assert f"entity={john['id']}" in search.text  # a facet link
    filtered = client.get("/search", params={"q": "transfer", "mode": "keyword",
                                             "entity": john["id"]}, headers=html)
    assert "Only documents that mention" in filtered.text
    assert f"/documents/{document['id']}?page=" in filtered.text
    # The merge form: the short name into the full one, then the survivor's page.
    anna = _entity(entity_client, "person", "anna kowalski")
    kowalski = _entity(entity_client, "person", "kowalski")  # "Ms Kowalski"
    merged = client.post(f"/entities/{kowalski['id']}/merge",
                         data={"csrf_token": csrf, "into": anna["id"]}, follow_redirects=False)
    assert merged.status_code == 303 and merged.headers["location"] == f"/entities/{anna['id']}"
    assert _entity(entity_client, "person", "anna kowalski")["mentions"] == (
        anna["mentions"] + kowalski["mentions"])


def test_a_viewer_reads_entities_but_cannot_merge(entity_client):
    client = entity_client
    _ingest(client, ("notice.txt", NOTICE), ("minutes.txt", MINUTES))
    short = _entity(client, "organisation", "northgate insurance")
    full = _entity(client, "organisation", "northgate insurance ltd")
    viewer = add_member(client, "viewer", "viewer@example.test")
    assert viewer.get(f"/api/v1/entities/{short['id']}").status_code == 200
    refused = viewer.post(f"/api/v1/entities/{short['id']}/merge", json={"into": full["id"]})
    assert refused.status_code == 403


def test_another_workspace_never_sees_these_entities(entity_client):
    client = entity_client
    _ingest(client, ("notice.txt", NOTICE))
    anna = _entity(client, "person", "anna kowalski")
    other = client.post("/api/v1/workspaces", json={"name": "Other"}).json()
    client.headers["X-Workspace"] = other["slug"]
    try:
        assert client.get("/api/v1/entities").json()["items"] == []
        assert client.get(f"/api/v1/entities/{anna['id']}").status_code == 404
        assert client.get("/api/v1/search", params={"q": "Leeds",
                                                    "entity": anna["id"]}).status_code == 404
        _ingest(client, ("mine.txt", b"Anna Kowalski visited Leeds."))
        mine = _entity(client, "person", "anna kowalski")
        assert mine["id"] != anna["id"]  # same key, another workspace: another entity
        merged = client.post(f"/api/v1/entities/{mine['id']}/merge", json={"into": anna["id"]})
        assert merged.status_code == 404
    finally:
        del client.headers["X-Workspace"]
    assert _entity(client, "person", "anna kowalski")["documents"] == 1
