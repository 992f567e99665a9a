"""tantivy's keyword hits come back in exact BM25 order, not the order of its one-byte
passage lengths (search/tantivy_rescore.py): the same order FTS5's exact bm25() gives."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import create_collection, ingest, test_settings

FILLER = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike "
          "november oscar papa quebec romeo sierra tango uniform victor whiskey xray").split()


def _passage(word_count: int, salvage: int, offset: int) -> bytes:
    words = [FILLER[(offset + i) % len(FILLER)] for i in range(word_count - salvage)]
    return " ".join(["salvage"] * salvage + words).encode()


# tantivy stores a length in one byte: 40 words exactly, 95 as 88. With the mean length of
# this corpus (40 + 95 + 4 x 20) / 6, exact BM25 puts short.txt (the word once in 40
# words) 0.7 % above long.txt (twice in 95); with 88 for 95, long.txt would come first.
FILES = {
    "short.txt": _passage(40, 1, 0),
    "long.txt": _passage(95, 2, 3),
    **{f"other{n}.txt": _passage(20, 0, 5 + n) for n in range(4)},
}


def _bm25(tf: int, length: int) -> float:
    """FTS5's bm25() for a one-word query over FILES (k1 1.2, b 0.75)."""
    lengths = [len(body.split()) for body in FILES.values()]
    total, found = len(lengths), 2
    idf = math.log((total - found + 0.5) / (found + 0.5))
    norm = 1.2 * (0.25 + 0.75 * length / (sum(lengths) / total))
    return idf * tf * 2.2 / (tf + norm)


def _ranked(client: TestClient, q: str) -> list[tuple[str, float]]:
    response = client.get("/api/v1/search", params={"q": q, "mode": "keyword"})
    assert response.status_code == 200, response.text
    return [(h["filename"], h["score"]) for h in response.json()["hits"]]


def test_keyword_hits_follow_exact_bm25_where_stored_lengths_would_reorder_them(
        tmp_path: Path, make_client: Any) -> None:
    tantivy = make_client(test_settings(tmp_path / "tantivy", keyword_engine="tantivy"))
    fts5 = make_client(test_settings(tmp_path / "fts5", keyword_engine="fts5"))
    for client in (tantivy, fts5):
        ingest(client, create_collection(client)["id"], *FILES.items())

    assert _bm25(1, 40) > _bm25(2, 95) > 0
    ranked = _ranked(tantivy, "salvage")
    assert [name for name, _ in ranked] == ["short.txt", "long.txt"]
    assert [name for name, _ in _ranked(fts5, "salvage")] == ["short.txt", "long.txt"]
    # The score shown is exact BM25 too, not tantivy's own.
    assert [round(score, 6) for _, score in ranked] == [
        round(_bm25(1, 40), 6), round(_bm25(2, 95), 6)]
    # A phrase (its own document frequency) and a prefix (one term over every word it
    # expands to) score as FTS5 scores them.
    for q in ('"salvage salvage"', "salv*"):
        assert [(name, round(score, 6)) for name, score in _ranked(tantivy, q)] == [
            (name, round(score, 6)) for name, score in _ranked(fts5, q)], q
