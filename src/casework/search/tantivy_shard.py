"""One workspace's tantivy index on disk: the open index, its writer, and the watermark
file saying which logged change it holds (search/tantivy_index.py keeps them current)."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tantivy
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.search.models import Chunk
from casework.search.tantivy_query import TOKENIZER, TantivyQueries

log = logging.getLogger(__name__)

STATE_FILE = "applied.json"
WRITER_HEAP_BYTES = 32_000_000  # per open writer (one per workspace written to)
REBUILD_PAGE = 5000  # chunks read at a time when rebuilding


@dataclass(eq=False)
class Shard:
    """One workspace's index and how far it has applied the log."""

    workspace_id: str
    directory: Path
    index: Any
    applied: int
    state_stamp: float
    # PostgreSQL: transactions at or above the watermark whose changes are in too, and
    # the highest change id the index has seen (a restored database issued fewer).
    beyond: frozenset[int] = frozenset()
    seen: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    writer: Any = None
    # Replaced by a rebuild: a thread still holding this object must not write through it
    # (its directory now holds the new index).
    retired: bool = False
    checked: bool = False  # compared with the database's last change id since opened
    # The index's mean passage length, and the (watermark, passages) it was read at.
    mean_length: tuple[tuple[int, int], float] | None = None

    def open_writer(self) -> Any | None:
        """The shard's writer, opened once; None while another process holds it."""
        if self.writer is None:
            try:
                self.writer = self.index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
            except ValueError as exc:  # LockBusy: another process writes this index
                log.debug("keyword index of %s is written elsewhere: %s",
                          self.workspace_id, exc)
                return None
        return self.writer

    def close_writer(self) -> None:
        if self.writer is not None:
            writer, self.writer = self.writer, None
            writer.wait_merging_threads()  # consumes the writer and releases its lock


def open_index(directory: Path, queries: TantivyQueries) -> Any:
    index = tantivy.Index(queries.schema, path=str(directory))
    index.register_tokenizer(TOKENIZER, queries.analyzer)
    index.config_reader(reload_policy="manual")  # reloaded after each applied commit
    return index


def workspace_chunks(session: Session, workspace_id: str) -> Iterator[tuple[int, str]]:
    """The workspace's chunks by id, a page at a time (memory does not grow with it)."""
    after = 0
    while True:
        rows = session.execute(select(Chunk.id, Chunk.text).where(
            Chunk.workspace_id == workspace_id, Chunk.id > after
        ).order_by(Chunk.id).limit(REBUILD_PAGE)).all()
        if not rows:
            return
        yield from ((int(chunk_id), body) for chunk_id, body in rows)
        after = rows[-1][0]


def read_state(directory: Path) -> tuple[int, float, frozenset[int], int] | None:
    """(watermark, file stamp, transactions applied beyond it, highest change id seen),
    or None: no complete index here."""
    path = directory / STATE_FILE
    try:
        stamp = path.stat().st_mtime_ns
        state = json.loads(path.read_text())
        beyond = frozenset(int(t) for t in state.get("beyond", ()))
        return int(state["applied"]), float(stamp), beyond, int(state.get("seen", 0))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_state(directory: Path, applied: int, beyond: frozenset[int] = frozenset(),
                seen: int = 0) -> float:
    """Record the watermark durably, after the index's commit (atomic rename)."""
    path = directory / STATE_FILE
    tmp = path.with_name(STATE_FILE + ".tmp")
    state: dict[str, Any] = {"applied": applied}
    if beyond:
        state["beyond"] = sorted(beyond)
    if seen:
        state["seen"] = seen
    with open(tmp, "w") as fh:
        fh.write(json.dumps(state))
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    return float(path.stat().st_mtime_ns)
