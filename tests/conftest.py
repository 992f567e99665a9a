"""Shared fixtures: settings per test (own data folder, own database), an API client, files.

Database-backed tests run on SQLite and on PostgreSQL. The PostgreSQL runs need a server:
set CASEWORK_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test).
Without it they are skipped with a message; with CASEWORK_REQUIRE_SERVICES=1 (CI) a missing
server fails the run instead.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from casework.app import create_app
from casework.core.settings import Settings, load_settings
from casework.search.embedder import SentenceTransformerEmbedder

POSTGRES_ENV = "CASEWORK_TEST_POSTGRES_URL"
REQUIRE_ENV = "CASEWORK_REQUIRE_SERVICES"


def service_missing(message: str) -> None:
    """Skip on a developer machine; fail in CI, where every server must be there."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        service_missing(f"PostgreSQL tests need a server: start one and set {POSTGRES_ENV}")
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        service_missing(f"PostgreSQL at {POSTGRES_ENV} is not reachable: {exc}")
    return url


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"casework_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_admin_url).set(database=name).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """None means the embedded default (SQLite under DATA_DIR)."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_url")


# Every test app has this owner of the default workspace (bootstrapped from ADMIN_EMAIL /
# ADMIN_PASSWORD), and `make_client` logs in as it: tests talk to an authenticated API.
OWNER_EMAIL = "owner@example.test"
OWNER_PASSWORD = "owner-password-for-tests"


def test_settings(data_dir: Path, database_url: str | None = None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test", "data_dir": data_dir, "database_url": database_url,
        "worker_threads": 2, "job_poll_seconds": 0.05, "job_retry_base_seconds": 0.05,
        "job_retry_max_seconds": 0.2, "semantic_search": False,
        "admin_email": OWNER_EMAIL, "admin_password": OWNER_PASSWORD,
        # Tests poll fast and log in often; the security tests set the real limits.
        "rate_limit_requests": 1_000_000, "login_rate_limit_per_minute": 1000,
        "upload_rate_limit_per_hour": 1_000_000,
    }
    values.update(overrides)
    return load_settings(_env_file=None, **values)


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    """Keyword-only settings; tests that need vectors use `semantic_settings`."""
    return test_settings(tmp_path / "data", database_url)


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real model, loaded once per test session and shared by the apps that embed."""
    return SentenceTransformerEmbedder("all-MiniLM-L6-v2")


@pytest.fixture
def make_client(embedder: SentenceTransformerEmbedder) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(settings: Settings, *, authenticate: bool = True) -> TestClient:
        client = TestClient(create_app(settings, embedder=embedder),
                            raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        if authenticate and settings.admin_email and settings.admin_password:
            tokens = login(client, settings.admin_email,
                           settings.admin_password.get_secret_value())
            client.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def client(settings: Settings, make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(settings)


@pytest.fixture
def semantic_client(tmp_path: Path, database_url: str | None,
                    make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(test_settings(tmp_path / "data", database_url, semantic_search=True))


# --- helpers used across test modules --------------------------------------------------

def login(client: TestClient, email: str, password: str) -> dict:
    """Log in over HTTP (no 2FA) and return the token pair."""
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password},
                           headers={"Authorization": ""})
    assert response.status_code == 200, response.text
    tokens = response.json()["tokens"]
    assert tokens is not None, response.text
    return tokens


def create_collection(client: TestClient, name: str = "Case 1", **extra: Any) -> dict:
    response = client.post("/api/v1/collections", json={"name": name, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def upload(client: TestClient, collection_id: str,
           *files: tuple[str, bytes]) -> list[dict]:
    response = client.post(
        f"/api/v1/collections/{collection_id}/documents",
        files=[("files", (name, data, "application/octet-stream")) for name, data in files])
    assert response.status_code == 202, response.text
    return response.json()["documents"]


def wait_for_documents(client: TestClient, ids: list[str], *, vectors: bool = False,
                       timeout: float = 120.0) -> list[dict]:
    """Poll the API as a client would until every document is ready or failed."""
    deadline = time.monotonic() + timeout
    while True:
        docs = [client.get(f"/api/v1/documents/{i}").json() for i in ids]
        settled = all(
            d["status"] == "failed"
            or (d["status"] == "ready" and (not vectors or d["embedding_status"] != "pending"))
            for d in docs)
        if settled:
            return docs
        if time.monotonic() > deadline:
            raise AssertionError(f"documents did not settle in {timeout}s: {docs}")
        time.sleep(0.05)


def ingest(client: TestClient, collection_id: str, *files: tuple[str, bytes],
           vectors: bool = False) -> list[dict]:
    uploaded = upload(client, collection_id, *files)
    docs = wait_for_documents(client, [u["document"]["id"] for u in uploaded], vectors=vectors)
    for doc in docs:
        assert doc["status"] == "ready", doc
    return docs
