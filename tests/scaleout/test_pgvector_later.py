"""pgvector installed after casework: `casework migrate` turns semantic search on.

Migration 0004 only creates `chunk_vector` where the server offers the extension at that
moment. These tests run a real PostgreSQL that lacks pgvector's files, migrate and use
casework, then install the files (as `apt install postgresql-16-pgvector` would) and run
the documented step, checking what a DBA and a user would see.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from casework.app import create_app
from tests.conftest import create_collection, ingest, login, test_settings
from tests.fixtures.plain_postgres import PlainPostgresServer
from tests.fixtures.scaleout import celery_worker

pytestmark = pytest.mark.scaleout

DOCS = [
    ("storm.txt", b"Heavy rainfall overwhelmed the drainage system and the river burst its "
                  b"banks, flooding the lower streets of the town overnight."),
    ("cooking.txt", b"Knead the dough for ten minutes, then let it rise in a warm place."),
    ("football.txt", b"The striker scored twice in the second half to win the match."),
]
MEANING = "natural disaster with water damage"  # shares no word with the storm passage


@pytest.fixture
def server() -> Iterator[PlainPostgresServer]:
    try:
        import pgserver  # noqa: F401
    except ImportError:
        pytest.skip("needs the pgserver wheel (PostgreSQL with pgvector)")
    server = PlainPostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


def _migrate(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "casework.cli.main", "migrate"], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _env(tmp_path: Path, database_url: str, redis_url: str, namespace: str) -> dict[str, str]:
    return {**os.environ, "ENVIRONMENT": "test", "DATA_DIR": str(tmp_path / "migrate"),
            "DATABASE_URL": database_url, "REDIS_URL": redis_url,
            "REDIS_NAMESPACE": namespace, "SEMANTIC_SEARCH": "true", "LOG_FORMAT": "console",
            "COLUMNS": "300"}  # rich wraps long lines at the terminal width otherwise


def _count(database_url: str, sql: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


def _has_vector_table(database_url: str) -> bool:
    return bool(_count(database_url, "SELECT count(*) FROM pg_tables "
                                     "WHERE tablename = 'chunk_vector'"))


@pytest.mark.embedding
@pytest.mark.slow
def test_installing_pgvector_later_turns_semantic_search_on_without_a_restart(
        server, tmp_path, redis_url, embedder):
    server.execute("CREATE DATABASE casework")
    database_url = server.url("casework")
    namespace = f"cwtest-{uuid.uuid4().hex[:10]}"
    settings = test_settings(tmp_path / "api", database_url, semantic_search=True,
                             redis_url=redis_url, redis_namespace=namespace)

    with TestClient(create_app(settings, embedder=embedder),
                    raise_server_exceptions=False) as client, \
            celery_worker(client.app.state.runtime):
        token = login(client, settings.admin_email,
                      settings.admin_password.get_secret_value())["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"

        # No pgvector on the server: keyword search works, semantic search says why.
        assert not _has_vector_table(database_url)
        collection = create_collection(client)
        docs = ingest(client, collection["id"], *DOCS)
        assert {d["embedding_status"] for d in docs} == {"skipped"}
        keyword = client.get("/api/v1/search", params={"q": "rainfall", "mode": "keyword"})
        assert keyword.json()["hits"][0]["filename"] == "storm.txt"
        semantic = client.get("/api/v1/search", params={"q": MEANING, "mode": "semantic"})
        assert semantic.status_code == 503
        assert "pgvector" in semantic.text and "casework migrate" in semantic.text
        ready = client.get("/health/ready").json()
        assert "semantic search is off" in ready["checks"]["search_index"]["detail"]

        # The DBA installs the package; the one documented step follows.
        server.install_pgvector()
        result = _migrate(_env(tmp_path, database_url, redis_url, namespace))
        assert "pgvector: created chunk_vector" in result.stdout
        assert f"queued embedding of {len(DOCS)} documents" in result.stdout
        assert "semantic search is off" not in result.stderr
        assert _has_vector_table(database_url)

        # This API process and its worker started without pgvector; they switch by
        # themselves: the backlog is embedded into pgvector and semantic search answers.
        # The backlog is one job per document, so search answers as soon as the first is
        # embedded; wait for every document before judging the ranking.
        deadline = time.monotonic() + 120
        while True:
            response = client.get("/api/v1/search", params={"q": MEANING, "mode": "semantic"})
            statuses = {client.get(f"/api/v1/documents/{d['id']}").json()["embedding_status"]
                        for d in docs}
            if response.status_code == 200 and statuses == {"ready"}:
                break
            assert time.monotonic() < deadline, (statuses, response.text)
            time.sleep(0.5)
        assert response.json()["hits"][0]["filename"] == "storm.txt"
        assert "detail" not in client.get("/health/ready").json()["checks"]["search_index"]
        uploaded = ingest(client, collection["id"], ("flood.txt", b"The dam gave way."),
                          vectors=True)
        assert uploaded[0]["embedding_status"] == "ready"  # new uploads embed straight away

    # Every chunk has its vector in PostgreSQL, where any process sees it.
    chunks = _count(database_url, "SELECT count(*) FROM chunk")
    assert chunks == _count(database_url, "SELECT count(*) FROM chunk_vector") == len(DOCS) + 1

    # A process started now finds pgvector at once.
    restarted = test_settings(tmp_path / "api2", database_url, semantic_search=True,
                              redis_url=redis_url, redis_namespace=namespace)
    with TestClient(create_app(restarted, embedder=embedder)) as client:
        token = login(client, restarted.admin_email,
                      restarted.admin_password.get_secret_value())["access_token"]
        hits = client.get("/api/v1/search", params={"q": MEANING, "mode": "hybrid"},
                          headers={"Authorization": f"Bearer {token}"}).json()
        assert hits["warnings"] == []
        assert hits["hits"][0]["filename"] == "storm.txt"


def test_a_role_that_may_not_enable_pgvector_is_told_what_the_dba_must_run(
        server, tmp_path, redis_url):
    # pgvector is not a trusted extension: only a superuser may create it.
    server.install_pgvector()
    server.execute("CREATE ROLE casework LOGIN")
    server.execute("CREATE DATABASE casework OWNER casework")
    database_url = server.url("casework", user="casework")
    env = _env(tmp_path, database_url, redis_url, f"cwtest-{uuid.uuid4().hex[:10]}")

    refused = _migrate(env)  # keyword search must still come up
    assert "database is up to date" in refused.stdout
    assert "role 'casework' could not enable it in database 'casework'" in refused.stderr
    assert "CREATE EXTENSION vector;" in refused.stderr
    assert not _has_vector_table(database_url)

    server.execute("CREATE EXTENSION vector", database="casework")
    granted = _migrate(env)
    assert "pgvector: created chunk_vector, copied 0 stored vectors" in granted.stdout
    assert "semantic search is off" not in granted.stderr
    assert _has_vector_table(database_url)
    assert "created chunk_vector" not in _migrate(env).stdout  # idempotent
