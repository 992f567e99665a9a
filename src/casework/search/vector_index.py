"""The vector index seam, and its embedded implementation: one usearch HNSW file per workspace.

The index is derived data. Every vector also lives in the `embedding` table, so when the
file is missing or disagrees with the database (a crash between commit and save), it is
rebuilt from there. Keys are chunk ids.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
from usearch.index import Index

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

SourceOfTruth = Callable[[str], tuple[np.ndarray, np.ndarray]]
"""Given a workspace id: (chunk ids, vectors) of every embedded chunk in the database."""


class VectorIndex(Protocol):
    def add(self, workspace_id: str, keys: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, workspace_id: str, keys: Iterable[int]) -> None: ...

    def search(self, workspace_id: str, vector: np.ndarray, k: int, *,
               session: Session | None = None) -> list[tuple[int, float]]:
        """(chunk id, cosine similarity) of the nearest chunks, best first.

        `session`: the caller's read transaction, for indexes that live in the database.
        """

    def flush(self) -> None:
        """Persist what changed (the embedded index saves in the background)."""

    def drop_workspace(self, workspace_id: str) -> None: ...


class _WorkspaceIndex:
    def __init__(self, index: Index) -> None:
        self.index = index
        self.lock = threading.RLock()
        self.dirty = False


class UsearchVectorIndex:
    def __init__(self, directory: Path, *, dimensions: int, source: SourceOfTruth,
                 flush_interval: float = 5.0) -> None:
        self.directory = directory
        self.dimensions = dimensions
        self.source = source
        self.flush_interval = flush_interval
        self._indexes: dict[str, _WorkspaceIndex] = {}
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()

    def _path(self, workspace_id: str) -> Path:
        return self.directory / f"{workspace_id}.usearch"

    def _new(self) -> Index:
        return Index(ndim=self.dimensions, metric="cos", dtype="f32", connectivity=16,
                     expansion_add=128, expansion_search=64)

    def _get(self, workspace_id: str) -> _WorkspaceIndex:
        with self._lock:
            entry = self._indexes.get(workspace_id)
            if entry is None:
                entry = self._indexes[workspace_id] = self._open(workspace_id)
            return entry

    def _open(self, workspace_id: str) -> _WorkspaceIndex:
        keys, vectors = self.source(workspace_id)
        index = self._new()
        path = self._path(workspace_id)
        if path.exists():
            try:
                index.load(str(path))
            except Exception:  # a torn file is rebuilt below
                index = self._new()
        expected = set(keys.tolist())
        if len(index) == len(expected) and all(int(k) in index for k in keys[:64]):
            return _WorkspaceIndex(index)
        rebuilt = self._new()
        if len(keys):
            rebuilt.add(keys.astype(np.uint64), vectors.astype(np.float32))
        entry = _WorkspaceIndex(rebuilt)
        entry.dirty = True
        return entry

    def add(self, workspace_id: str, keys: np.ndarray, vectors: np.ndarray) -> None:
        if not len(keys):
            return
        entry = self._get(workspace_id)
        keys = keys.astype(np.uint64)
        with entry.lock:
            present = [int(k) for k in keys if int(k) in entry.index]
            if present:
                entry.index.remove(np.asarray(present, dtype=np.uint64))
            entry.index.add(keys, vectors.astype(np.float32))
            entry.dirty = True

    def remove(self, workspace_id: str, keys: Iterable[int]) -> None:
        entry = self._get(workspace_id)
        with entry.lock:
            present = [int(k) for k in keys if int(k) in entry.index]
            if present:
                entry.index.remove(np.asarray(present, dtype=np.uint64))
                entry.dirty = True

    def search(self, workspace_id: str, vector: np.ndarray, k: int, *,
               session: Session | None = None) -> list[tuple[int, float]]:
        entry = self._get(workspace_id)
        with entry.lock:
            size = len(entry.index)
            if size == 0:
                return []
            matches = entry.index.search(vector.astype(np.float32), min(k, size))
        return [(int(key), 1.0 - float(dist))
                for key, dist in zip(matches.keys, matches.distances, strict=True)]

    def flush(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._last_flush < self.flush_interval:
            return
        self._last_flush = time.monotonic()
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            entries = list(self._indexes.items())
        for workspace_id, entry in entries:
            with entry.lock:
                if not entry.dirty:
                    continue
                path = self._path(workspace_id)
                tmp = path.with_suffix(".tmp")
                entry.index.save(str(tmp))
                tmp.replace(path)  # a reader never sees a half-written index
                entry.dirty = False

    def drop_workspace(self, workspace_id: str) -> None:
        with self._lock:
            self._indexes.pop(workspace_id, None)
        self._path(workspace_id).unlink(missing_ok=True)

    def forget(self) -> None:
        """Drop what is in memory; the next search reloads from disk and the database."""
        with self._lock:
            self._indexes.clear()
