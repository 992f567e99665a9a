"""Keyword search: BM25 ranking, phrases, prefixes, the right page, filters, paging."""

from tests.conftest import create_collection, ingest
from tests.fixtures.files import make_pdf

DECOYS = [
    ("garden.txt", b"Tomatoes need sun and water. Prune the roses in early spring."),
    ("recipes.txt", b"Whisk the eggs, fold in the flour, bake for twenty minutes."),
    ("travel.txt", b"The train to Lisbon leaves at nine; the ferry crosses the river."),
]


def search(client, q, **params):
    response = client.get("/api/v1/search", params={"q": q, "mode": "keyword", **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_page_that_matches_is_cited_first(client):
    collection = create_collection(client)
    pdf = make_pdf(["Introduction to the quarterly review of the warehouse.",
                    "Inventory counts were reconciled against the ledger.",
                    "The forklift incident on 3 March injured one employee."])
    doc = ingest(client, collection["id"], ("review.pdf", pdf), *DECOYS)[0]
    result = search(client, "forklift incident")
    top = result["hits"][0]
    assert top["document_id"] == doc["id"]
    assert top["page"] == 3
    assert "<mark>forklift</mark>" in top["snippet"]
    assert top["filename"] == "review.pdf"


def test_phrase_must_match_exactly(client):
    collection = create_collection(client)
    ingest(client, collection["id"],
           ("a.txt", b"The red car was parked beside a blue van."),
           ("b.txt", b"A blue car and a red van were seen at the corner."))
    hits = search(client, '"blue van"')["hits"]
    assert [h["filename"] for h in hits] == ["a.txt"]


def test_prefix_and_stemming(client):
    collection = create_collection(client)
    ingest(client, collection["id"], ("c.txt", b"The contractor signed three contracts."),
           *DECOYS)
    assert search(client, "contr*")["hits"][0]["filename"] == "c.txt"
    assert search(client, "signing")["hits"][0]["filename"] == "c.txt"  # porter stemming


def test_ranking_prefers_documents_with_more_query_terms(client):
    collection = create_collection(client)
    ingest(client, collection["id"],
           ("one.txt", b"A witness saw the vehicle."),
           ("both.txt", b"A witness saw the vehicle leave the burning warehouse."),
           *DECOYS)
    hits = search(client, "witness burning warehouse")["hits"]
    assert hits[0]["filename"] == "both.txt"
    assert hits[0]["score"] > hits[1]["score"]


def test_query_syntax_never_errors(client):
    collection = create_collection(client)
    ingest(client, collection["id"], *DECOYS)
    for q in ['"unclosed', "AND OR NOT", "col:umn", "*", "(((", "NEAR(a b)", "'; drop table"]:
        response = client.get("/api/v1/search", params={"q": q, "mode": "keyword"})
        assert response.status_code == 200, (q, response.text)


def test_filters_by_collection_tag_and_type(client):
    first = create_collection(client, "First")
    second = create_collection(client, "Second")
    a = ingest(client, first["id"], ("a.txt", b"shared keyword alpha"))[0]
    b = ingest(client, second["id"], ("b.md", b"shared keyword beta"))[0]
    client.put(f"/api/v1/documents/{b['id']}/tags", json={"tags": ["Evidence"]})
    ids = lambda r: [h["document_id"] for h in r["hits"]]  # noqa: E731
    assert set(ids(search(client, "shared keyword"))) == {a["id"], b["id"]}
    assert ids(search(client, "shared keyword", collection_id=first["id"])) == [a["id"]]
    assert ids(search(client, "shared keyword", tag="evidence")) == [b["id"]]
    assert ids(search(client, "shared keyword", type="text/markdown")) == [b["id"]]


def test_pagination_walks_all_hits_without_repeats(client):
    collection = create_collection(client)
    files = [(f"f{i}.txt", f"common term plus unique{i}".encode()) for i in range(7)]
    ingest(client, collection["id"], *files)
    seen = []
    offset = 0
    while True:
        page = search(client, "common term", limit=3, offset=offset)
        seen += [h["document_id"] for h in page["hits"]]
        if not page["has_more"]:
            break
        offset += 3
    assert len(seen) == 7 == len(set(seen))


def test_deleting_a_document_removes_it_from_search(client):
    collection = create_collection(client)
    doc = ingest(client, collection["id"], ("gone.txt", b"ephemeral zeppelin text"))[0]
    assert search(client, "zeppelin")["hits"]
    assert client.delete(f"/api/v1/documents/{doc['id']}").status_code == 204
    assert search(client, "zeppelin")["hits"] == []


def test_search_parameters_are_validated(client):
    for params in ({"q": ""}, {"q": "x", "limit": 0}, {"q": "x", "limit": 1000},
                   {"q": "x", "mode": "fuzzy"}, {"q": "x" * 1001}, {"q": "x", "offset": -1}):
        response = client.get("/api/v1/search", params=params)
        assert response.status_code == 422, params
        assert response.json()["error"]["code"] == "invalid_input"


def test_semantic_search_off_says_why(client):
    response = client.get("/api/v1/search", params={"q": "anything", "mode": "semantic"})
    assert response.status_code == 503
    assert "SEMANTIC_SEARCH" in response.json()["error"]["message"]
    hybrid = client.get("/api/v1/search", params={"q": "anything"}).json()
    assert hybrid["warnings"] and "keyword" in hybrid["warnings"][0]
