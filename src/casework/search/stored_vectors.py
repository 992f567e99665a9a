"""The `embedding` table seen as the source of truth of a workspace's vector index.

The on-disk index checks itself against these counts at open and rebuilds from these pages
when it disagrees; pages are read by keyset (chunk id) so a rebuild never holds more than
one page of rows, whatever the size of the workspace.

Every statement here walks `chunk` in id order and looks each chunk's vector up by the
embedding's primary key (a correlated subquery), because as a join SQLite started from every
vector of the workspace and sorted each page: 5.4 s a page at 1.5 million chunks against
0.07 s (docs/benchmarks.md#memory-1gb-file).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from casework.core.database import transaction
from casework.search.models import Chunk, Embedding


def _of_chunk(model: str) -> tuple[ColumnElement[bool], ...]:
    """The embedding's primary key, matched to the chunk of the enclosing statement."""
    return (Embedding.workspace_id == Chunk.workspace_id, Embedding.model == model,
            Embedding.content_hash == Chunk.content_hash)


def _vector_of_chunk(model: str) -> Any:
    """The chunk's stored vector for `model`, or NULL: one primary-key lookup per chunk."""
    return select(Embedding.vector).where(*_of_chunk(model)).scalar_subquery()


def has_vector(model: str) -> ColumnElement[bool]:
    """Whether the chunk's text has a stored vector for `model` (a primary-key probe)."""
    return select(Embedding.content_hash).where(*_of_chunk(model)).exists()


def vector_pages(sessions: sessionmaker[Session], *, workspace_id: str, model: str,
                 size: int, owner: ColumnElement[bool] | None = None, after: int = 0
                 ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(chunk ids, float32 vectors) of the workspace's embedded chunks (of one owner if
    given) with ids above `after`, `size` chunks read at a time in id order; chunks without
    a vector are skipped. Start `after` just below the owner's first chunk: the walk is by
    id, and SQLite may take the primary key for it rather than the owner's index."""
    while True:
        stmt: Select[Any] = select(Chunk.id, _vector_of_chunk(model)).where(
            Chunk.workspace_id == workspace_id, Chunk.id > after)
        if owner is not None:
            stmt = stmt.where(owner)
        with transaction(sessions) as session:
            rows = session.execute(stmt.order_by(Chunk.id).limit(size)).all()
        if not rows:
            return
        after = rows[-1][0]
        found = [(chunk_id, vector) for chunk_id, vector in rows if vector is not None]
        if found:
            keys = np.fromiter((k for k, _ in found), dtype=np.uint64, count=len(found))
            yield keys, np.vstack([np.frombuffer(v, dtype=np.float32) for _, v in found])


class StoredVectors:
    def __init__(self, sessions: sessionmaker[Session], model: str) -> None:
        self.sessions = sessions
        self.model = model

    def count(self, workspace_id: str) -> int:
        with transaction(self.sessions) as session:
            return int(session.scalar(select(func.count()).select_from(Chunk).where(
                Chunk.workspace_id == workspace_id, has_vector(self.model))) or 0)

    def newest_keys(self, workspace_id: str, n: int) -> np.ndarray:
        with transaction(self.sessions) as session:
            ids = list(session.scalars(
                select(Chunk.id).where(Chunk.workspace_id == workspace_id,
                                       has_vector(self.model))
                .order_by(Chunk.id.desc()).limit(n)))
        return np.asarray(ids, dtype=np.uint64)

    def pages(self, workspace_id: str, size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return vector_pages(self.sessions, workspace_id=workspace_id, model=self.model,
                            size=size)
