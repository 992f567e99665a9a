"""Migration 0004_scaleout upgrades and downgrades on SQLite, PostgreSQL and pgvector."""

import pytest
from sqlalchemy import inspect

from casework.core.database import build_engine
from casework.db import migrate


def _state(engine):
    inspector = inspect(engine)
    lease = any(i["name"] == "ix_job_lease" for i in inspector.get_indexes("job"))
    return lease, inspector.has_table("chunk_vector")


@pytest.mark.parametrize("server", ["sqlite", pytest.param("pgvector",
                                                           marks=pytest.mark.scaleout)])
def test_upgrade_downgrade_upgrade(server, tmp_path, request):
    if server == "sqlite":
        url = f"sqlite:///{tmp_path / 'm.db'}"
    else:
        url = request.getfixturevalue("scaleout_postgres_url")
    engine = build_engine(url)
    try:
        migrate.upgrade(engine)
        lease, vectors = _state(engine)
        assert lease
        if server == "pgvector":
            from casework.search.pgvector_index import pgvector_available

            assert vectors == pgvector_available(engine)  # only where the extension is
        else:
            assert not vectors
        migrate.downgrade(engine, "0004_scaleout-1")
        assert _state(engine) == (False, False)
        migrate.upgrade(engine)
        assert _state(engine)[0]
    finally:
        engine.dispose()
