"""The keyword query syntax on every engine: phrases `"a b"`, proximity `"a b"~N` (the two
words in either order with at most N words between) and prefixes `foo*` find the same
documents on FTS5, tantivy and PostgreSQL (issue #20 item 9)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import create_collection, ingest, test_settings

FILES = {
    "adjacent.txt": b"The salvage report was filed in March.",
    "one-between.txt": b"The salvage final report was filed in April.",
    "three-between.txt": b"The salvage crew wrote a report about the storm.",
    "reversed.txt": b"Her report on the salvage was late.",
    "far.txt": b"Salvage is costly, said the harbour master, and only later did anyone "
               b"write a single word of any report.",
    "other.txt": b"Configuration of the archive server: backups run every night.",
}
# (query, the files it must find)
QUERIES = [
    ('"salvage report"', {"adjacent.txt"}),
    ('"salvage report"~0', {"adjacent.txt"}),
    ('"salvage report"~1', {"adjacent.txt", "one-between.txt"}),
    ('"salvage report"~3', {"adjacent.txt", "one-between.txt", "three-between.txt",
                            "reversed.txt"}),
    ('"report salvage"~2', {"adjacent.txt", "one-between.txt", "reversed.txt"}),
    ('"salvage report"~20', {"adjacent.txt", "one-between.txt", "three-between.txt",
                             "reversed.txt", "far.txt"}),
    ("configur*", {"other.txt"}),
    ("salv*", set(FILES) - {"other.txt"}),
    ('"salvage report"~1 march', {"adjacent.txt"}),
]


def _load(client: TestClient) -> dict[str, str]:
    collection = create_collection(client)
    return {d["id"]: d["filename"] for d in ingest(client, collection["id"], *FILES.items())}


def _found(client: TestClient, names: dict[str, str], q: str) -> set[str]:
    response = client.get("/api/v1/search", params={"q": q, "mode": "keyword", "limit": 50})
    assert response.status_code == 200, (q, response.text)
    return {names[hit["document_id"]] for hit in response.json()["hits"]}


def _check(client: TestClient) -> dict[str, set[str]]:
    names = _load(client)
    return {q: _found(client, names, q) for q, _ in QUERIES}


def test_fts5_and_tantivy_find_the_same_phrases_proximities_and_prefixes(
        tmp_path: Path, make_client) -> None:
    fts5 = _check(make_client(test_settings(tmp_path / "fts5", None)))
    tantivy = _check(make_client(test_settings(tmp_path / "tantivy", None,
                                               keyword_engine="tantivy")))
    assert fts5 == dict(QUERIES)
    assert tantivy == fts5


@pytest.mark.postgres
def test_postgresql_finds_the_same_as_fts5(tmp_path: Path, postgres_url: str,
                                           make_client) -> None:
    postgres = _check(make_client(test_settings(tmp_path / "postgres", postgres_url)))
    assert postgres == dict(QUERIES)


def test_a_malformed_proximity_is_refused_clearly(tmp_path: Path, make_client) -> None:
    client = make_client(test_settings(tmp_path / "data", None))
    for q, says in [('"salvage crew report"~2', "two words"),
                    ('"salvage report"~21', "at most ~20")]:
        response = client.get("/api/v1/search", params={"q": q, "mode": "keyword"})
        assert response.status_code == 422, response.text
        assert says in response.json()["error"]["message"]
