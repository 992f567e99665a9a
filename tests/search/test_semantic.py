"""Semantic and hybrid search with the real embedding model: meaning, not words."""

import pytest

from tests.conftest import create_collection, ingest
from tests.fixtures.files import make_pdf

pytestmark = pytest.mark.embedding

DOCS = [
    ("storm.pdf", make_pdf([
        "Annual maintenance schedule for the municipal buildings.",
        "Heavy rainfall overwhelmed the drainage system and the river burst its banks, "
        "flooding the lower streets of the town overnight.",
    ])),
    ("cooking.txt", b"Knead the dough for ten minutes, then let it rise in a warm place."),
    ("football.txt", b"The striker scored twice in the second half to win the match."),
    ("finance.txt", b"Quarterly revenue grew by four percent while costs stayed flat."),
    ("astronomy.txt", b"The telescope captured images of a distant spiral galaxy."),
]


def hits(client, q, mode, **params):
    response = client.get("/api/v1/search", params={"q": q, "mode": mode, **params})
    assert response.status_code == 200, response.text
    return response.json()["hits"]


def test_meaning_is_found_among_decoys_with_the_right_page(semantic_client):
    client = semantic_client
    collection = create_collection(client)
    docs = ingest(client, collection["id"], *DOCS, vectors=True)
    assert all(d["embedding_status"] == "ready" for d in docs)
    # No word of the query appears in the flood passage.
    semantic = hits(client, "natural disaster with water damage", "semantic")
    assert semantic[0]["filename"] == "storm.pdf"
    assert semantic[0]["page"] == 2
    assert hits(client, "natural disaster with water damage", "keyword") == []
    hybrid = hits(client, "natural disaster with water damage", "hybrid")
    assert hybrid[0]["filename"] == "storm.pdf"
    assert hits(client, "sports game result", "semantic")[0]["filename"] == "football.txt"
    assert hits(client, "bread baking", "hybrid")[0]["filename"] == "cooking.txt"


def test_notes_are_searchable_by_meaning_and_edits_reindex(semantic_client):
    client = semantic_client
    collection = create_collection(client)
    ingest(client, collection["id"], *DOCS[1:], vectors=True)
    note = client.post("/api/v1/notes", json={
        "title": "Interview", "body": "The suspect owns a small sailing boat.",
        "collection_id": collection["id"]}).json()
    import time

    deadline = time.monotonic() + 60
    while not any(h["note_id"] == note["id"] for h in hits(client, "yacht owner", "semantic")):
        assert time.monotonic() < deadline, "note vectors never arrived"
        time.sleep(0.1)
    client.patch(f"/api/v1/notes/{note['id']}",
                 json={"body": "The suspect collects vintage wristwatches."})
    assert not any(h["note_id"] == note["id"] for h in hits(client, "boat", "keyword"))
    deadline = time.monotonic() + 60
    while hits(client, "timepieces collector", "semantic")[0]["note_id"] != note["id"]:
        assert time.monotonic() < deadline, "edited note was not re-embedded"
        time.sleep(0.1)


def test_same_text_is_embedded_once(semantic_client, settings):
    client = semantic_client
    first = create_collection(client, "A")
    ingest(client, first["id"], ("one.txt", b"Identical passage about lighthouses."),
           vectors=True)
    ingest(client, first["id"], ("two.txt", b"Identical passage about lighthouses.\n"),
           vectors=True)
    results = hits(client, "lighthouse", "semantic")
    assert {h["filename"] for h in results} == {"one.txt", "two.txt"}
