"""The keyword index seam: FTS5 with BM25 on SQLite, tsvector + GIN + BM25 on PostgreSQL,
or tantivy beside either (search/tantivy_index.py, search/tantivy_postgres.py,
KEYWORD_ENGINE=tantivy).

FTS5 and PostgreSQL live inside the database and are maintained by the same transaction
that writes the chunks, so there is nothing to keep in step here: these classes only query.
tantivy lives on disk and follows a change log (search/keyword_log.py).
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from casework.search import keyword_log
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

    def prepare(self, session: Session) -> None:
        """Set up what the engine needs in the database, in the caller's transaction."""

    def start(self) -> None:
        """Begin background upkeep (in the one process that runs the embedded workers)."""

    def close(self) -> None:
        """Stop the upkeep and release what the engine holds."""


class Fts5KeywordIndex:
    """FTS5 BM25, with scoring bounded per query (see fts5_plan for how and why)."""

    def __init__(self) -> None:
        self.planner = Fts5Planner()

    def prepare(self, session: Session) -> None:
        keyword_log.disable(session)  # tantivy's change log: nobody would read it

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass

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

    def prepare(self, session: Session) -> None:
        from casework.search import keyword_log_pg

        keyword_log_pg.disable(session)  # tantivy's change log: nobody would read it

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass

    def search(self, session: Session, *, workspace_id: str, query: ParsedQuery,
               filters: SearchFilters, limit: int, notes: list[str] | None = None
               ) -> list[tuple[int, float]]:
        return self.planner.search(session, workspace_id=workspace_id, query=query,
                                   filters=filters, limit=limit, notes=notes)
