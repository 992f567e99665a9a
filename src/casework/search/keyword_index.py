"""The keyword index seam: FTS5 with BM25 on SQLite, tsvector + GIN on PostgreSQL.

Both live inside the database and are maintained by the same transaction that writes the
chunks, so there is nothing to keep in step here: these classes only query.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import func, literal_column, select, table, text
from sqlalchemy.orm import Session

from casework.search.filters import SearchFilters, scoped_chunks
from casework.search.models import Chunk
from casework.search.query import ParsedQuery, to_fts5, to_tsquery


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
    def search(self, session: Session, *, workspace_id: str, query: ParsedQuery,
               filters: SearchFilters, limit: int) -> list[tuple[int, float]]:
        if query.is_empty:
            return []
        tsquery = func.to_tsquery("english", to_tsquery(query))
        tsv = literal_column("chunk.tsv")
        rank = func.ts_rank_cd(tsv, tsquery, 32)
        stmt = select(Chunk.id, rank.label("rank")).where(tsv.op("@@")(tsquery))
        stmt = scoped_chunks(stmt, workspace_id=workspace_id, filters=filters)
        stmt = stmt.order_by(rank.desc(), Chunk.id).limit(limit)
        return [(chunk_id, float(score)) for chunk_id, score in session.execute(stmt).all()]
