"""The keyword index seam: FTS5 with BM25 on SQLite, tsvector + GIN + BM25 on PostgreSQL.

Both live inside the database and are maintained by the same transaction that writes the
chunks, so there is nothing to keep in step here: these classes only query.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import literal_column, select, table, text
from sqlalchemy.orm import Session

from casework.search.filters import SearchFilters, scoped_chunks
from casework.search.models import Chunk
from casework.search.query import ParsedQuery, to_fts5


class KeywordIndex(Protocol):
    def search(self, session: Session, *, workspace_id: str, query: ParsedQuery,
               filters: SearchFilters, limit: int) -> list[tuple[int, float]]:
        """(chunk id, score) best first; higher scores are better."""


class Fts5KeywordIndex:
    def search(self, session: Session, *, workspace_id: str, query: ParsedQuery,
               filters: SearchFilters, limit: int) -> list[tuple[int, float]]:
        if query.is_empty:
            return []
        fts = table("chunk_fts")
        rank = literal_column("bm25(chunk_fts)")
        stmt = (
            select(Chunk.id, rank.label("rank"))
            .select_from(fts)
            .join(Chunk, Chunk.id == literal_column("chunk_fts.rowid"))
            .where(text("chunk_fts MATCH :match"))
        )
        stmt = scoped_chunks(stmt, workspace_id=workspace_id, filters=filters)
        stmt = stmt.order_by(rank).limit(limit)
        rows = session.execute(stmt, {"match": to_fts5(query)}).all()
        return [(chunk_id, -float(score)) for chunk_id, score in rows]


class PostgresKeywordIndex:
    """PostgreSQL full text (GIN) for matching, ranked by real BM25 (see postgres_bm25)."""

    def __init__(self, *, stats_seconds: float = 30.0) -> None:
        from casework.search.postgres_bm25 import Bm25Ranker

        self.ranker = Bm25Ranker(stats_seconds=stats_seconds)

    def search(self, session: Session, *, workspace_id: str, query: ParsedQuery,
               filters: SearchFilters, limit: int) -> list[tuple[int, float]]:
        if query.is_empty:
            return []
        return self.ranker.search(session, workspace_id=workspace_id, query=query,
                                  filters=filters, limit=limit)
