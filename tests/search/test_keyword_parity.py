"""Both keyword engines find the same words: the same files and queries on SQLite (FTS5)
and PostgreSQL (tsvector) give the same documents (issue #17, item 6).

PostgreSQL's parser kept `test/mocklibc/x` as one "file" token and `foo_bar.baz` as one
"host", so a word inside a path, an identifier or an address was found only on SQLite.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import create_collection, ingest, test_settings

pytestmark = pytest.mark.postgres

FILES = {
    "build-log.txt": b"make[2]: Leaving directory test/mocklibc/x after linking libmock.so\n",
    "module.py": b"def handler():\n    return foo_bar.baz(config.max_retries)\n",
    "contacts.txt": b"Write to ann.lee@harbour-law.example or call the desk.\n",
    "windows.txt": b"The memo was saved as C:\\Users\\ann\\Documents\\lease_v2.docx\n",
    "case.txt": b"Reference CR-2024-0117, release v1.2.3 of the tool, see https://docs.example.org/guide/setup\n",
    "plain.txt": b"The harbour authority signed the lease in March.\n",
}

# (query, the files it must find): a word inside a path, identifier, address or number.
QUERIES = [
    ("mocklibc", {"build-log.txt"}),
    ("libmock", {"build-log.txt"}),
    ("baz", {"module.py"}),
    ("foo_bar", {"module.py"}),
    ("max_retries", {"module.py"}),
    ("retries", {"module.py"}),
    ("harbour-law", {"contacts.txt", "plain.txt"}),  # words are OR-ed: "harbour" too
    ("lee", {"contacts.txt"}),
    ("lease_v2", {"windows.txt", "plain.txt"}),
    ("docx", {"windows.txt"}),
    ("2024", {"case.txt"}),
    ("0117", {"case.txt"}),
    ("CR-2024-0117", {"case.txt"}),
    ("setup", {"case.txt"}),
    ("harbour", {"contacts.txt", "plain.txt"}),
    ("lease", {"plain.txt", "windows.txt"}),
]


def _found(client: TestClient, names: dict[str, str], q: str) -> set[str]:
    response = client.get("/api/v1/search", params={"q": q, "mode": "keyword", "limit": 20})
    assert response.status_code == 200, response.text
    return {names[hit["document_id"]] for hit in response.json()["hits"]}


def _load(client: TestClient) -> dict[str, str]:
    collection = create_collection(client)
    docs = ingest(client, collection["id"], *FILES.items())
    return {doc["id"]: doc["filename"] for doc in docs}


def test_both_engines_find_words_inside_paths_and_identifiers(
        tmp_path: Path, postgres_url: str, make_client) -> None:
    sqlite = make_client(test_settings(tmp_path / "sqlite", None))
    postgres = make_client(test_settings(tmp_path / "postgres", postgres_url))
    engines = {"sqlite": (sqlite, _load(sqlite)), "postgresql": (postgres, _load(postgres))}
    found = {name: {q: _found(client, names, q) for q, _ in QUERIES}
             for name, (client, names) in engines.items()}
    assert found["postgresql"] == found["sqlite"]
    assert found["sqlite"] == dict(QUERIES)
