"""Migration 0008 moves an existing SQLite install's keyword index into one FTS5 table per
workspace, and its downgrade puts the shared table back, with every chunk still found."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from casework.core.database import build_engine
from casework.db import migrate
from casework.search.filters import SearchFilters
from casework.search.fts5_plan import Fts5Planner
from casework.search.models import Chunk
from casework.search.query import parse_query
from casework.workspaces.models import Workspace
from tests.conftest import test_settings


def _chunk(workspace_id: str, body: str) -> Chunk:
    return Chunk(workspace_id=workspace_id, start_char=0, end_char=len(body), text=body,
                 content_hash=str(hash(body)))


def test_existing_chunks_move_to_their_workspaces_table_and_back(tmp_path: Path) -> None:
    settings = test_settings(tmp_path / "data")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = build_engine(settings.resolved_database_url)
    migrate.upgrade(engine, "0008_token_chunks")  # an install from before the change
    with Session(engine) as session:
        a, b = Workspace(name="A", slug="a"), Workspace(name="B", slug="b")
        session.add_all([a, b])
        session.flush()
        session.add_all([_chunk(a.id, "forklift ledger"), _chunk(a.id, "archive boxes"),
                         _chunk(b.id, "forklift forklift report")])
        session.commit()
        a_id, b_id = a.id, b.id
    migrate.upgrade(engine)
    names = set(inspect(engine).get_table_names())
    assert "chunk_fts" not in names
    assert {f"chunk_fts_{a_id}", f"chunk_fts_{b_id}"} <= names
    planner = Fts5Planner()
    with Session(engine) as session:
        def found(workspace_id: str, query: str) -> list[str]:
            hits = planner.search(session, workspace_id=workspace_id, query=parse_query(query),
                                  filters=SearchFilters(), limit=10)
            return [session.get(Chunk, chunk_id).text for chunk_id, _ in hits]

        assert found(a_id, "forklift") == ["forklift ledger"]
        assert found(b_id, "forklift") == ["forklift forklift report"]
        assert found(a_id, "boxes") == ["archive boxes"]
        # New chunks are indexed by the workspace's triggers, deleted ones leave it.
        session.add(_chunk(a_id, "forklift incident"))
        session.execute(text("DELETE FROM chunk WHERE text = 'forklift ledger'"))
        session.commit()
        assert found(a_id, "forklift") == ["forklift incident"]
        assert found(b_id, "forklift") == ["forklift forklift report"]
    migrate.downgrade(engine, "0008_token_chunks")
    with engine.connect() as conn:
        shared = conn.execute(text(
            "SELECT chunk.text FROM chunk_fts JOIN chunk ON chunk.id = chunk_fts.rowid "
            "WHERE chunk_fts MATCH 'forklift' ORDER BY chunk.id")).scalars().all()
    assert shared == ["forklift forklift report", "forklift incident"]
    assert f"chunk_fts_{a_id}" not in set(inspect(engine).get_table_names())
    migrate.upgrade(engine)
    with Session(engine) as session:
        hits = planner.search(session, workspace_id=a_id, query=parse_query("forklift"),
                              filters=SearchFilters(), limit=10)
        assert len(hits) == 1
    engine.dispose()
