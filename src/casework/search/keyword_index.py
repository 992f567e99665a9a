"""The keyword index seam: FTS5 with BM25 on SQLite, tsvector + GIN + BM25 on PostgreSQL.

Both live inside the database and are maintained by the same transaction that writes the
chunks, so there is nothing to keep in step here: these classes only query.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from casework.search.filters import SearchFilters
from casework.search.fts5_plan import Fts5Planner
from casework.search.query import ParsedQuery


class KeywordIndex(Protocol):
    def search(self, session: Session, *, workspace_id: str, query: ParsedQuery,
               filters: SearchFilters, limit: int, notes: list[str] | None = None
               ) -> list[tuple[int, float]]:
        """(chunk id, score) best first; higher scores are better.

        `notes` collects what the user should know about how the query was run (e.g.
        that a very broad query was ranked over its newest passages only).
        """


class Fts5KeywordIndex:
    """FTS5 BM25, with scoring bounded per query (see fts5_plan for how and why)."""

    def __init__(self) -> None:
        self.planner = Fts5Planner()

    def search(self, session: Session, *, workspace_id: str, query: ParsedQuery,
               filters: SearchFilters, limit: int, notes: list[str] | None = None
               ) -> list[tuple[int, float]]:
        return self.planner.search(session, workspace_id=workspace_id, query=query,
                                   filters=filters, limit=limit, notes=notes)


class PostgresKeywordIndex:
    """PostgreSQL full text (GIN) for matching, ranked by real BM25 (see postgres_bm25),
    with scoring bounded per query (see postgres_plan for how and why)."""

    def __init__(self, *, stats_seconds: float = 30.0) -> None:
        from casework.search.postgres_plan import PostgresPlanner

        self.planner = PostgresPlanner(stats_seconds=stats_seconds)

    def search(self, session: Session, *, workspace_id: str, query: ParsedQuery,
               filters: SearchFilters, limit: int, notes: list[str] | None = None
               ) -> list[tuple[int, float]]:
        return self.planner.search(session, workspace_id=workspace_id, query=query,
                                   filters=filters, limit=limit, notes=notes)
