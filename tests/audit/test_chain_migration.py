"""Events written before the chain existed are linked, in id order, by the migration, and
hash the same as the code hashes them (SQLite and PostgreSQL)."""

from sqlalchemy import text

from casework.audit import chain
from casework.core.database import build_engine, build_session_factory
from casework.db import migrate
from tests.conftest import test_settings


def test_the_migration_chains_existing_events_in_id_order(tmp_path, database_url):
    settings = test_settings(tmp_path / "data", database_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = build_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    migrate.downgrade(engine, "audit_0001-1")  # as before the chain
    with engine.begin() as conn:
        for i in range(5):
            conn.execute(text(
                "INSERT INTO audit_event (created_at, workspace_id, action, outcome, details) "
                "VALUES (:t, :w, :a, 'ok', '{}')"),
                {"t": f"2026-01-0{i + 1} 10:00:00.12345{i}", "w": "ws1" if i % 2 else None,
                 "a": f"old.{i}"})
    migrate.upgrade(engine)
    with build_session_factory(engine)() as session:
        workspace = chain.verify_chain(session=session, workspace_id="ws1")
        account = chain.verify_chain(session=session, workspace_id=None)
        order = session.execute(text(
            "SELECT action, seq FROM audit_event WHERE workspace_id IS NULL ORDER BY id")).all()
    assert workspace.ok and workspace.events == 2 and workspace.head_seq == 2
    assert account.ok and account.events == 3
    assert [tuple(row) for row in order] == [("old.0", 1), ("old.2", 2), ("old.4", 3)]
    engine.dispose()
