"""The embedded vector index: segments, tombstones, compaction, and rebuilding from truth.

The source of truth here is an in-memory dict standing in for the `embedding` table (the
database path is covered by the semantic search tests); it counts how often the index
pages through it, which is how these tests see whether the index rebuilt itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from casework.search import vector_index
from casework.search.vector_index import UsearchVectorIndex

DIMS = 16
WS = "ws-1"


class DictSource:
    def __init__(self) -> None:
        self.vectors: dict[int, np.ndarray] = {}
        self.page_reads = 0

    def count(self, workspace_id: str) -> int:
        return len(self.vectors)

    def newest_keys(self, workspace_id: str, n: int) -> np.ndarray:
        return np.asarray(sorted(self.vectors)[-n:], dtype=np.uint64)

    def pages(self, workspace_id: str, size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        keys = sorted(self.vectors)
        for start in range(0, len(keys), size):
            self.page_reads += 1
            part = keys[start:start + size]
            yield (np.asarray(part, dtype=np.uint64),
                   np.vstack([self.vectors[k] for k in part]))


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((n, DIMS)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _store(source: DictSource, index: UsearchVectorIndex, keys: range, seed: int = 0
           ) -> np.ndarray:
    """What an embed job does: store vectors in the database, then add them to the index."""
    vectors = _vectors(len(keys), seed)
    for key, vector in zip(keys, vectors, strict=True):
        source.vectors[key] = vector
    index.add(WS, np.asarray(keys, dtype=np.uint64), vectors)
    return vectors


def _index(directory: Path, source: DictSource) -> UsearchVectorIndex:
    return UsearchVectorIndex(directory, dimensions=DIMS, source=source, segment_size=50)


def _new_index(directory: Path, source: DictSource) -> UsearchVectorIndex:
    """An index opened on an empty workspace, so every vector arrives through `add`."""
    index = _index(directory, source)
    assert index.search(WS, _vectors(1)[0], 1) == []
    return index


def test_full_segments_are_sealed_to_files_and_searched_with_the_active_one(tmp_path: Path):
    source = DictSource()
    index = _new_index(tmp_path, source)
    vectors = _store(source, index, range(1, 121))
    index.flush(force=True)

    manifest = json.loads((tmp_path / WS / "manifest.json").read_text())
    assert [s["name"] for s in manifest["sealed"]] == ["segment-1.usearch", "segment-2.usearch"]
    assert (tmp_path / WS / "active.usearch").exists()
    for key in (1, 50, 51, 100, 101, 120):  # first/last of each segment and the active one
        best = index.search(WS, vectors[key - 1], 3)
        assert best[0][0] == key
        assert best[0][1] == pytest.approx(1.0, abs=1e-2)
        assert [s for _, s in best] == sorted((s for _, s in best), reverse=True)


def test_removed_vectors_are_never_returned_and_stay_removed_after_reopening(tmp_path: Path):
    source = DictSource()
    index = _new_index(tmp_path, source)
    vectors = _store(source, index, range(1, 121))
    gone = [3, 60, 110]  # one in each sealed segment, one in the active one
    index.remove(WS, gone)
    for key in gone:
        del source.vectors[key]
    for key in gone:
        assert key not in [k for k, _ in index.search(WS, vectors[key - 1], 10)]
    index.flush(force=True)

    reopened = _index(tmp_path, source)
    assert 3 not in [k for k, _ in reopened.search(WS, vectors[2], 10)]
    assert reopened.search(WS, vectors[3], 1)[0][0] == 4
    assert source.page_reads == 0  # the files agreed with the database: no rebuild


def test_a_segment_with_many_tombstones_is_rewritten_without_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(vector_index, "COMPACT_AT", 10)
    source = DictSource()
    index = _new_index(tmp_path, source)
    vectors = _store(source, index, range(1, 121))
    index.remove(WS, range(1, 11))  # ten from segment-1
    for key in range(1, 11):
        del source.vectors[key]

    files = sorted(p.name for p in (tmp_path / WS).glob("segment-*.usearch"))
    assert files == ["segment-2.usearch", "segment-3.usearch"]
    manifest = json.loads((tmp_path / WS / "manifest.json").read_text())
    assert all(not s["tombstones"] for s in manifest["sealed"])
    assert index.search(WS, vectors[0], 1)[0][0] != 1
    assert index.search(WS, vectors[20], 1)[0][0] == 21
    assert source.page_reads == 0
    reopened = _index(tmp_path, source)
    assert reopened.search(WS, vectors[30], 1)[0][0] == 31
    assert source.page_reads == 0


def test_files_that_disagree_with_the_database_are_rebuilt_from_it(tmp_path: Path):
    source = DictSource()
    index = _new_index(tmp_path, source)
    vectors = _store(source, index, range(1, 81))
    index.flush(force=True)
    # Vectors committed after the last save (a crash before the index was saved).
    extra = _vectors(30, seed=1)
    for key, vector in zip(range(81, 111), extra, strict=True):
        source.vectors[key] = vector

    reopened = _index(tmp_path, source)
    assert reopened.search(WS, extra[-1], 1)[0][0] == 110
    assert reopened.search(WS, vectors[0], 1)[0][0] == 1
    assert source.page_reads > 0


def test_a_torn_manifest_is_rebuilt_not_trusted(tmp_path: Path):
    source = DictSource()
    index = _new_index(tmp_path, source)
    vectors = _store(source, index, range(1, 61))
    index.flush(force=True)
    (tmp_path / WS / "manifest.json").write_text('{"sealed": [')

    reopened = _index(tmp_path, source)
    assert reopened.search(WS, vectors[59], 1)[0][0] == 60
    assert source.page_reads > 0


def test_adding_a_key_twice_keeps_one_vector(tmp_path: Path):
    source = DictSource()
    index = _new_index(tmp_path, source)
    vectors = _store(source, index, range(1, 61))
    index.add(WS, np.arange(1, 61, dtype=np.uint64), vectors)  # a rerun of the embed job
    hits = [k for k, _ in index.search(WS, vectors[9], 60)]
    # HNSW is approximate: asked for all 60 it may miss one, so the test does not ask that
    # every key comes back, only that none comes back twice and the count is the source's.
    assert len(hits) == len(set(hits)) > 50
    index.flush(force=True)
    reads = source.page_reads
    reopened = _index(tmp_path, source)
    assert reopened.search(WS, vectors[9], 1)[0][0] == 10
    assert source.page_reads == reads  # 60 held, as the source counts: no rebuild


def test_dropping_a_workspace_removes_its_files(tmp_path: Path):
    source = DictSource()
    index = _new_index(tmp_path, source)
    _store(source, index, range(1, 61))
    index.flush(force=True)
    index.drop_workspace(WS)
    assert not (tmp_path / WS).exists()
