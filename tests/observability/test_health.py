"""Liveness and readiness, driven over HTTP, with dependencies really going away."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import test_settings


def test_liveness_checks_nothing_and_has_an_alias(client):
    for path in ("/health", "/healthz"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


def test_readiness_reports_each_check_with_its_latency(client):
    response = client.get("/health/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == []
    checks = body["checks"]
    assert set(checks) == {"database", "redis", "storage", "search_index", "workers",
                           "generator", "entities"}
    for name in ("database", "storage", "search_index", "workers"):
        assert checks[name]["status"] == "ok", checks
        assert checks[name]["latency_ms"] >= 0
    assert checks["redis"]["status"] == "skipped"  # no REDIS_URL on the embedded default
    assert checks["generator"]["status"] == "skipped"  # no LLM_BASE_URL: extractive answers
    assert checks["entities"]["status"] == "skipped"  # the tests' default: tests/entities
    assert client.get("/readyz").status_code == 200


def test_readiness_fails_without_a_live_worker_when_workers_are_expected(
        tmp_path, database_url, make_client):
    client = make_client(test_settings(tmp_path / "data", database_url, worker_threads=0,
                                       health_require_workers=True))
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["failing"] == ["workers"]
    # Workers running elsewhere (the API tier of a scale-out deploy) are not its business.
    relaxed = make_client(test_settings(tmp_path / "other", database_url, worker_threads=0))
    assert relaxed.get("/health/ready").json()["checks"]["workers"]["status"] == "skipped"


@pytest.mark.postgres
def test_readiness_turns_503_while_the_database_is_unavailable(
        tmp_path, postgres_url, postgres_admin_url, make_client):
    client = make_client(test_settings(tmp_path / "data", postgres_url,
                                       health_check_timeout_seconds=5))
    assert client.get("/health/ready").status_code == 200
    name = make_url(postgres_url).database
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"),
                         {"name": name})
        down = client.get("/health/ready")
        assert down.status_code == 503, down.text
        body = down.json()
        assert body["status"] == "unavailable"
        assert "database" in body["failing"]
        assert body["checks"]["database"]["status"] == "failing"
        assert client.get("/health").status_code == 200  # liveness is unaffected
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    deadline = time.monotonic() + 30
    while (back := client.get("/health/ready")).status_code != 200:
        assert time.monotonic() < deadline, back.text
        time.sleep(0.5)  # the worker heartbeat comes back within an interval
    assert back.json()["failing"] == []


def test_readiness_follows_redis_going_away_and_coming_back(tmp_path, redis_process,
                                                            make_client):
    client = make_client(test_settings(tmp_path / "data", None, redis_url=redis_process.url,
                                       health_check_timeout_seconds=2))
    ready = client.get("/health/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["redis"]["status"] == "ok"
    redis_process.kill()
    down = client.get("/health/ready")
    assert down.status_code == 503
    assert down.json()["failing"] == ["redis"]
    redis_process.start()  # same port
    assert client.get("/health/ready").status_code == 200


def test_stale_upload_spool_files_are_swept_at_start(tmp_path, make_client):
    settings = test_settings(tmp_path / "data", None)
    settings.tmp_dir.mkdir(parents=True)
    stale = settings.tmp_dir / "upload-stale"
    fresh = settings.tmp_dir / "upload-fresh"
    stale.write_bytes(b"half an upload")
    fresh.write_bytes(b"an upload in flight elsewhere")
    two_days_ago = time.time() - 2 * 86_400
    os.utime(stale, (two_days_ago, two_days_ago))
    make_client(settings)
    assert not stale.exists()
    assert Path(fresh).exists()
