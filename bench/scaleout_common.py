# ruff: noqa: I001, RUF100 - import order depends on which sibling bench modules exist
"""Shared by the scale-out benchmarks: a throwaway PostgreSQL database and a runtime on it.

The server is the one named by CASEWORK_BENCH_POSTGRES_URL (default: the local test
server); each run creates its own database and drops it afterwards.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from casework.app import prepare
from casework.collections import service as collections_service
from casework.collections.models import CollectionKind
from casework.core.database import transaction
from casework.core.settings import load_settings
from casework.runtime import build_runtime
from casework.workspaces import service as workspaces_service
from harness import BenchRuntime

ADMIN_URL = os.environ.get("CASEWORK_BENCH_POSTGRES_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/test")


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
                    session=session, workspace_id=workspace.id, name="bench",
                    kind=CollectionKind.case)
                ids = workspace.id, collection.id
            yield BenchRuntime(runtime, ids[0], ids[1], data_dir)
        finally:
            runtime.close()
