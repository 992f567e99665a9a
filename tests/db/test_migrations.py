"""Migrations build exactly the schema the models describe, and undo it, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from casework.core.database import build_engine
from casework.db import migrate
from casework.schema import Base
from tests.conftest import test_settings


def _engine(tmp_path, database_url):
    settings = test_settings(tmp_path / "data", database_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return build_engine(settings.resolved_database_url)


def _schema_drift(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # Ignore what the ORM does not map on purpose: the keyword index objects.
    return [d for d in diff if "chunk_fts" not in str(d) and "tsv" not in str(d)]


def test_upgrade_matches_models_then_downgrade_and_upgrade_again(tmp_path, database_url):
    engine = _engine(tmp_path, database_url)
    migrate.upgrade(engine)
    assert _schema_drift(engine) == []
    tables = set(inspect(engine).get_table_names())
    assert {"workspace", "collection", "document", "document_page", "chunk", "embedding",
            "job", "note", "tag"} <= tables
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert _schema_drift(engine) == []
    migrate.upgrade(engine)  # idempotent at start-up
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    engine = _engine(tmp_path, None)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
