"""The vector index seam, and its embedded implementation: usearch HNSW segments on disk.

The index is derived data. Every vector also lives in the `embedding` table, so when the
files are missing or disagree with the database (a crash between commit and save), the
index is rebuilt from there, a page of vectors at a time. Keys are chunk ids.

Memory is bounded by the segment size, not by the workspace. A workspace's vectors live
in *sealed segments* (usearch files memory-mapped read-only, so their pages belong to the
page cache and are read on demand) plus one *active segment* in memory that takes new
vectors and is sealed once it holds `segment_size` of them: one in-memory HNSW graph of a
whole workspace grew with the document (2.7 GB for a 200 MB text file,
docs/benchmarks.md#vector-memory). Vectors are stored as float16: half the bytes of float32,
the same nDCG@10 (docs/benchmarks.md#float16-quality).

A search asks every segment for its nearest k and merges them (a sealed segment answers
in well under a millisecond; a workspace of a million chunks has ten). A vector removed
from a sealed segment cannot be taken out of the mapped file, so its key is remembered as
a *tombstone* of that segment and filtered from its answers (the segment is asked for k
plus its tombstones); once a segment has `COMPACT_AT` tombstones it is copied into memory,
the dead vectors are removed and it is written again. This is Lucene's design (immutable
segments plus deletes) without merges.

On disk, per workspace: `<directory>/<workspace_id>/manifest.json` (the sealed segment
files and the tombstones), `segment-<n>.usearch` files and `active.usearch`. Every file is
written to a temporary name and renamed, so a reader never sees half of one.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

# onnxruntime (the default embedding runtime) must load before usearch: imported after it,
# in the same process, onnxruntime 1.32 crashes with a segfault while it initialises
# (usearch 2.26 on this Debian; reproduce with `python -c "import usearch.index;
# import onnxruntime"`). The import is cheap next to the model it serves.
import onnxruntime  # noqa: F401 - load order, see above
from usearch.index import Index

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

SEGMENT_SIZE = 100_000  # vectors per in-memory segment: about 120 MB of float16 + graph
COMPACT_AT = 1024  # tombstones that make a sealed segment worth rewriting
SAMPLE_KEYS = 64


class VectorSource(Protocol):
    """The database's vectors of a workspace, for checking and rebuilding the index."""

    def count(self, workspace_id: str) -> int:
        """How many chunks of the workspace have a stored vector."""

    def newest_keys(self, workspace_id: str, n: int) -> np.ndarray:
        """The highest `n` chunk ids that have a stored vector (a cheap sample to check)."""

    def pages(self, workspace_id: str, size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(chunk ids, float32 vectors) of every embedded chunk, `size` rows at a time."""


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


@dataclass
class _Segment:
    name: str
    index: Index  # a read-only view of the file
    tombstones: set[int] = field(default_factory=set)

    def live(self, keys: np.ndarray) -> np.ndarray:
        """Which of `keys` this segment holds and has not had removed."""
        held = np.asarray(self.index.contains(keys), dtype=bool).reshape(len(keys))
        if self.tombstones:
            held &= ~np.isin(keys, np.fromiter(self.tombstones, dtype=np.uint64))
        return held


@dataclass
class _WorkspaceIndex:
    directory: Path
    active: Index
    sealed: list[_Segment] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    dirty: bool = False

    def __len__(self) -> int:
        return len(self.active) + sum(len(s.index) - len(s.tombstones) for s in self.sealed)

    def contains(self, keys: np.ndarray) -> np.ndarray:
        held = np.asarray(self.active.contains(keys), dtype=bool).reshape(len(keys))
        for segment in self.sealed:
            held |= segment.live(keys)
        return held


class UsearchVectorIndex:
    def __init__(self, directory: Path, *, dimensions: int, source: VectorSource,
                 flush_interval: float = 5.0, segment_size: int = SEGMENT_SIZE) -> None:
        self.directory = directory
        self.dimensions = dimensions
        self.source = source
        self.flush_interval = flush_interval
        self.segment_size = segment_size
        self._indexes: dict[str, _WorkspaceIndex] = {}
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()

    # --- opening, checking, rebuilding ---------------------------------------------------

    def _new(self) -> Index:
        return Index(ndim=self.dimensions, metric="cos", dtype="f16", connectivity=16,
                     expansion_add=128, expansion_search=64)

    def _get(self, workspace_id: str) -> _WorkspaceIndex:
        with self._lock:
            entry = self._indexes.get(workspace_id)
            if entry is None:
                entry = self._indexes[workspace_id] = self._open(workspace_id)
            return entry

    def _open(self, workspace_id: str) -> _WorkspaceIndex:
        directory = self.directory / workspace_id
        entry = self._load(directory)
        if entry is not None and self._agrees(workspace_id, entry):
            return entry
        return self._rebuild(workspace_id, directory)

    def _load(self, directory: Path) -> _WorkspaceIndex | None:
        """The workspace's files as they were last saved, or None if any is unreadable."""
        manifest_path = directory / "manifest.json"
        if not manifest_path.exists():
            return None
        try:
            manifest = json.loads(manifest_path.read_text())
            sealed = []
            for item in manifest["sealed"]:
                view = Index.restore(str(directory / item["name"]), view=True)
                if view is None:
                    return None
                sealed.append(_Segment(item["name"], view,
                                       {int(k) for k in item["tombstones"]}))
            active = self._new()
            active_path = directory / "active.usearch"
            if active_path.exists():
                active.load(str(active_path))
            return _WorkspaceIndex(directory, active, sealed)
        except Exception:  # a torn or foreign file: the database rebuilds it
            return None

    def _agrees(self, workspace_id: str, entry: _WorkspaceIndex) -> bool:
        if len(entry) != self.source.count(workspace_id):
            return False
        sample = self.source.newest_keys(workspace_id, SAMPLE_KEYS).astype(np.uint64)
        return bool(entry.contains(sample).all()) if len(sample) else True

    def _rebuild(self, workspace_id: str, directory: Path) -> _WorkspaceIndex:
        """Every stored vector into fresh segments, a page at a time (memory stays bounded)."""
        shutil.rmtree(directory, ignore_errors=True)
        (self.directory / f"{workspace_id}.usearch").unlink(missing_ok=True)  # old layout
        directory.mkdir(parents=True, exist_ok=True)
        entry = _WorkspaceIndex(directory, self._new())
        for keys, vectors in self.source.pages(workspace_id, 4096):
            self._append(entry, keys, vectors)
        entry.dirty = True
        self._save(entry)
        return entry

    # --- writing ------------------------------------------------------------------------

    def _append(self, entry: _WorkspaceIndex, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Into the active segment, sealing it whenever it is full."""
        start = 0
        while start < len(keys):
            room = self.segment_size - len(entry.active)
            part = slice(start, start + room)
            entry.active.add(keys[part], vectors[part])
            start += room
            if len(entry.active) >= self.segment_size:
                self._seal(entry)

    def _seal(self, entry: _WorkspaceIndex) -> None:
        """Write the full active segment as a sealed file, map it, start a new one."""
        entry.sealed.append(self._write_segment(entry, entry.active))
        entry.active = self._new()
        entry.dirty = True
        self._save(entry)

    def _write_segment(self, entry: _WorkspaceIndex, index: Index) -> _Segment:
        """Save `index` under a new segment name and map it back read-only."""
        number = max((int(s.name.split("-")[1].split(".")[0]) for s in entry.sealed),
                     default=0) + 1
        name = f"segment-{number}.usearch"
        _atomic_save(index, entry.directory / name)
        return _Segment(name, Index.restore(str(entry.directory / name), view=True))

    def _compact(self, entry: _WorkspaceIndex, segment: _Segment) -> None:
        """Rewrite a segment without its removed vectors (one segment's memory, briefly)."""
        loaded = Index.restore(str(entry.directory / segment.name))
        loaded.remove(np.fromiter(segment.tombstones, dtype=np.uint64))
        fresh = self._write_segment(entry, loaded)
        entry.sealed[entry.sealed.index(segment)] = fresh
        self._save(entry)  # the manifest names the new file before the old one goes
        (entry.directory / segment.name).unlink(missing_ok=True)

    def _save(self, entry: _WorkspaceIndex) -> None:
        entry.directory.mkdir(parents=True, exist_ok=True)
        _atomic_save(entry.active, entry.directory / "active.usearch")
        manifest = {"sealed": [{"name": s.name, "tombstones": sorted(s.tombstones)}
                               for s in entry.sealed]}
        tmp = entry.directory / "manifest.json.tmp"
        tmp.write_text(json.dumps(manifest))
        tmp.replace(entry.directory / "manifest.json")
        entry.dirty = False

    def _drop(self, entry: _WorkspaceIndex, keys: np.ndarray) -> None:
        """Remove keys wherever they are: from the active segment, or as tombstones."""
        if not len(keys):
            return
        in_active = keys[np.asarray(entry.active.contains(keys), dtype=bool).reshape(-1)]
        if len(in_active):
            entry.active.remove(in_active)
            entry.dirty = True
        for segment in list(entry.sealed):
            dead = keys[segment.live(keys)]
            if len(dead):
                segment.tombstones.update(int(k) for k in dead)
                entry.dirty = True
                if len(segment.tombstones) >= COMPACT_AT:
                    self._compact(entry, segment)

    def add(self, workspace_id: str, keys: np.ndarray, vectors: np.ndarray) -> None:
        if not len(keys):
            return
        entry = self._get(workspace_id)
        keys = keys.astype(np.uint64)
        with entry.lock:
            # A chunk id's vector never changes (edited text gets new chunk rows), so a key
            # already held is skipped: an embed job whose first touch rebuilt the index
            # from the database (its own vectors included) adds nothing twice.
            new = ~entry.contains(keys)
            if new.any():
                self._append(entry, keys[new], vectors[new].astype(np.float32))
                entry.dirty = True

    def remove(self, workspace_id: str, keys: Iterable[int]) -> None:
        entry = self._get(workspace_id)
        with entry.lock:
            self._drop(entry, np.fromiter((int(k) for k in keys), dtype=np.uint64))

    # --- reading ------------------------------------------------------------------------

    def search(self, workspace_id: str, vector: np.ndarray, k: int, *,
               session: Session | None = None) -> list[tuple[int, float]]:
        entry = self._get(workspace_id)
        query = vector.astype(np.float32)
        found: list[tuple[float, int]] = []
        with entry.lock:
            if len(entry.active):
                matches = entry.active.search(query, min(k, len(entry.active)))
                found += zip(matches.distances.tolist(), matches.keys.tolist(), strict=True)
            for segment in entry.sealed:
                # Ask for enough that k survive the tombstones of this segment.
                wanted = min(k + len(segment.tombstones), len(segment.index))
                matches = segment.index.search(query, wanted)
                found += [(d, key) for d, key in zip(matches.distances.tolist(),
                                                     matches.keys.tolist(), strict=True)
                          if key not in segment.tombstones]
        found.sort()
        return [(int(key), 1.0 - float(dist)) for dist, key in found[:k]]

    # --- lifecycle ----------------------------------------------------------------------

    def flush(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._last_flush < self.flush_interval:
            return
        self._last_flush = time.monotonic()
        with self._lock:
            entries = list(self._indexes.values())
        for entry in entries:
            with entry.lock:
                if entry.dirty:
                    self._save(entry)

    def drop_workspace(self, workspace_id: str) -> None:
        with self._lock:
            self._indexes.pop(workspace_id, None)
        shutil.rmtree(self.directory / workspace_id, ignore_errors=True)

    def forget(self) -> None:
        """Drop what is in memory; the next search reloads from disk and the database."""
        with self._lock:
            self._indexes.clear()


def _atomic_save(index: Index, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    index.save(str(tmp))
    tmp.replace(path)
