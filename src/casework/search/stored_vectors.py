"""The `embedding` table seen as the source of truth of a workspace's vector index.

The on-disk index checks itself against these counts at open and rebuilds from these pages
when it disagrees; pages are read by keyset (chunk id) so a rebuild never holds more than
one page of rows, whatever the size of the workspace.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from casework.core.database import transaction
from casework.search.models import Chunk, Embedding


class StoredVectors:
    def __init__(self, sessions: sessionmaker[Session], model: str) -> None:
        self.sessions = sessions
        self.model = model

    def _embedded(self, workspace_id: str, *columns):
        return (select(*columns).select_from(Chunk)
                .join(Embedding, (Embedding.content_hash == Chunk.content_hash)
                      & (Embedding.workspace_id == Chunk.workspace_id))
                .where(Chunk.workspace_id == workspace_id, Embedding.model == self.model))

    def count(self, workspace_id: str) -> int:
        with transaction(self.sessions) as session:
            return int(session.scalar(self._embedded(workspace_id, func.count())) or 0)

    def newest_keys(self, workspace_id: str, n: int) -> np.ndarray:
        with transaction(self.sessions) as session:
            ids = list(session.scalars(
                self._embedded(workspace_id, Chunk.id).order_by(Chunk.id.desc()).limit(n)))
        return np.asarray(ids, dtype=np.uint64)

    def pages(self, workspace_id: str, size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        after = 0
        while True:
            with transaction(self.sessions) as session:
                rows = session.execute(
                    self._embedded(workspace_id, Chunk.id, Embedding.vector)
                    .where(Chunk.id > after).order_by(Chunk.id).limit(size)).all()
            if not rows:
                return
            keys = np.fromiter((r[0] for r in rows), dtype=np.uint64, count=len(rows))
            yield keys, np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
            after = rows[-1][0]
