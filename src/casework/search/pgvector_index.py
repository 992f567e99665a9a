"""Vector search in PostgreSQL with pgvector (HNSW), for the scale-out shape.

Unlike the on-disk index, every API and worker process sees the same vectors the moment
they commit, so any number of processes can serve semantic search. Rows are keyed by chunk
id and deleted with their chunk (ON DELETE CASCADE), so removing a document needs nothing
here. Without the `vector` extension casework runs keyword-only; `DisabledVectorIndex`
carries the reason to every semantic search.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from casework.core.database import transaction

DIMENSIONS = 384  # the column type; migration 0004 creates it for all-MiniLM-L6-v2
EF_SEARCH_MIN = 40


def pgvector_available(engine: Engine) -> bool:
    """True when this server can load the `vector` extension (installed or installable)."""
    if engine.dialect.name != "postgresql":
        return False
    with engine.connect() as conn:
        return bool(conn.execute(text(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).first())


def _literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{float(x):.7g}" for x in vector) + "]"


class PgvectorIndex:
    def __init__(self, *, sessions: sessionmaker[Session], read_sessions: sessionmaker[Session],
                 dimensions: int) -> None:
        if dimensions != DIMENSIONS:
            raise ValueError(f"the pgvector column holds {DIMENSIONS}-d vectors; the embedding "
                             f"model makes {dimensions}-d ones")
        self.sessions = sessions
        self.read_sessions = read_sessions

    def add(self, workspace_id: str, keys: np.ndarray, vectors: np.ndarray) -> None:
        if not len(keys):
            return
        rows = [{"chunk_id": int(k), "workspace_id": workspace_id, "embedding": _literal(v)}
                for k, v in zip(keys, vectors, strict=True)]
        with transaction(self.sessions) as session:
            # Chunks deleted since they were read are skipped (the FK would refuse them).
            session.execute(text(
                "INSERT INTO chunk_vector (chunk_id, workspace_id, embedding) "
                "SELECT :chunk_id, :workspace_id, CAST(:embedding AS vector) "
                "WHERE EXISTS (SELECT 1 FROM chunk WHERE id = :chunk_id) "
                "ON CONFLICT (chunk_id) DO UPDATE SET embedding = EXCLUDED.embedding"), rows)

    def remove(self, workspace_id: str, keys: Iterable[int]) -> None:
        ids = [int(k) for k in keys]
        if not ids:
            return
        with transaction(self.sessions) as session:
            session.execute(text(
                "DELETE FROM chunk_vector WHERE workspace_id = :w AND chunk_id = ANY(:ids)"),
                {"w": workspace_id, "ids": ids})

    def search(self, workspace_id: str, vector: np.ndarray, k: int, *,
               session: Session | None = None) -> list[tuple[int, float]]:
        """In the caller's transaction when given one: a request that already holds a pooled
        connection and waited for a second could deadlock once every connection is held."""
        if session is None:
            with transaction(self.read_sessions) as own:
                return self._search(own, workspace_id, vector, k)
        return self._search(session, workspace_id, vector, k)

    def _search(self, session: Session, workspace_id: str, vector: np.ndarray, k: int
                ) -> list[tuple[int, float]]:
        # HNSW filters by workspace after the graph walk: widen the walk to keep k hits.
        session.execute(text(f"SET LOCAL hnsw.ef_search = {max(EF_SEARCH_MIN, 2 * k)}"))
        rows = session.execute(text(
            "SELECT chunk_id, 1 - (embedding <=> CAST(:q AS vector)) AS similarity "
            "FROM chunk_vector WHERE workspace_id = :w "
            "ORDER BY embedding <=> CAST(:q AS vector) LIMIT :k"),
            {"q": _literal(vector), "w": workspace_id, "k": k}).all()
        return [(int(chunk_id), float(similarity)) for chunk_id, similarity in rows]

    def flush(self, *, force: bool = False) -> None:
        """Nothing to do: every add is committed."""

    def drop_workspace(self, workspace_id: str) -> None:
        with transaction(self.sessions) as session:
            session.execute(text("DELETE FROM chunk_vector WHERE workspace_id = :w"),
                            {"w": workspace_id})


class DisabledVectorIndex:
    """Stands in when no shareable vector index exists; semantic search says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def add(self, workspace_id: str, keys: np.ndarray, vectors: np.ndarray) -> None:
        return None

    def remove(self, workspace_id: str, keys: Iterable[int]) -> None:
        return None

    def search(self, workspace_id: str, vector: np.ndarray, k: int, *,
               session: Session | None = None) -> list[tuple[int, float]]:
        return []

    def flush(self, *, force: bool = False) -> None:
        return None

    def drop_workspace(self, workspace_id: str) -> None:
        return None
