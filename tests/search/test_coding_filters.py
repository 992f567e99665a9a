"""Search filtered by review coding sees a coding change at once, also where results are
cached (the scale-out shape caches in Redis: a coding change must bump the version)."""

from tests.conftest import create_collection, ingest


def _ids(client, **params):
    hits = client.get("/api/v1/search", params={"q": "quay", "mode": "keyword", **params})
    assert hits.status_code == 200, hits.text
    return {h["document_id"] for h in hits.json()["hits"]}


def test_a_coding_change_shows_in_the_next_filtered_search(client):
    collection = create_collection(client)
    docs = ingest(client, collection["id"], ("a.txt", b"The quay wall cracked."),
                  ("b.txt", b"The quay crane was sold."))
    a, b = (d["id"] for d in docs)
    assert _ids(client, hot="true") == set()
    assert _ids(client, privileged="false") == {a, b}
    client.patch(f"/api/v1/review/documents/{a}", json={"hot": True, "privileged": True})
    assert _ids(client, hot="true") == {a}
    assert _ids(client, privileged="false") == {b}
    batch = client.post("/api/v1/review/batch", json={"document_ids": [a, b],
                                                      "coding": {"hot": False}})
    assert batch.json()["changed"] == 1
    assert _ids(client, hot="true") == set()
