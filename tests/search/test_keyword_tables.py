"""SQLite's keyword index per workspace: made with the workspace, gone with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from casework.bootstrap import build_runtime
from casework.core.database import transaction
from casework.db.migrate import upgrade
from casework.search.keyword_tables import keyword_table
from casework.workspaces import service as workspaces_service
from tests.conftest import create_collection, ingest, test_settings
from tests.search.test_fts5_plan import add_chunks, workspace


def _tables(client: TestClient) -> set[str]:
    return set(inspect(client.app.state.runtime.engine).get_table_names())


def _keyword_hits(client: TestClient, q: str) -> list[str]:
    response = client.get("/api/v1/search", params={"q": q, "mode": "keyword"})
    assert response.status_code == 200, response.text
    return [h["filename"] for h in response.json()["hits"]]


def test_a_workspace_gets_its_index_at_creation_and_loses_it_at_deletion(
        tmp_path: Path, make_client: Any) -> None:
    client = make_client(test_settings(tmp_path / "data"))  # SQLite: PostgreSQL has no table
    created = client.post("/api/v1/workspaces", json={"name": "Short lived"})
    assert created.status_code == 201, created.text
    other = {"X-Workspace": created.json()["slug"]}
    assert keyword_table(created.json()["id"]) in _tables(client)
    client.headers.update(other)
    # Not searched here: usage accounting flushes a search's figures after the request,
    # and for a workspace deleted meanwhile that insert fails (a separate defect).
    ingest(client, create_collection(client)["id"], ("gone.txt", b"forklift manifest"))

    assert client.delete("/api/v1/workspaces/current").status_code == 204
    for name in other:
        del client.headers[name]
    assert not any(created.json()["id"] in table for table in _tables(client))
    # The default workspace still indexes and finds its own passages.
    ingest(client, create_collection(client)["id"], ("kept.txt", b"forklift inventory"))
    assert _keyword_hits(client, "forklift") == ["kept.txt"]


def test_a_keyword_table_name_is_only_ever_a_workspace_id() -> None:
    assert keyword_table("0123abcd" * 4) == "chunk_fts_" + "0123abcd" * 4
    for hostile in ("x; DROP TABLE chunk", "a'b", "", "a" * 65):
        try:
            keyword_table(hostile)
        except ValueError:
            continue
        raise AssertionError(f"accepted {hostile!r}")


def test_planner_statistics_leave_the_keyword_tables_alone(tmp_path: Path) -> None:
    """Statistics taken while a workspace's FTS5 table was empty made its later inserts
    slow down quadratically (418 -> 5,553 µs a chunk over 20,000 chunks): ANALYZE skips
    the keyword tables, so they are planned as if never analyzed."""
    runtime = build_runtime(test_settings(tmp_path / "data"))
    try:
        upgrade(runtime.engine)
        busy = workspace(runtime, "busy")
        with transaction(runtime.sessions) as session:
            workspaces_service.create_workspace(session=session, name="Empty for now")
        add_chunks(runtime, busy, [f"entry {n} of the ledger" for n in range(600)])
        assert runtime.planner_statistics.refresh() is True
        with runtime.engine.connect() as conn:
            analyzed = set(conn.execute(text("SELECT tbl FROM sqlite_stat1")).scalars())
        assert "chunk" in analyzed
        assert not [name for name in analyzed if name.startswith("chunk_fts")]
    finally:
        runtime.close()
