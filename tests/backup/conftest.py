"""Shared pieces of the backup tests: an installation's files, the CLI, what to compare."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from casework.bootstrap import build_runtime
from casework.cli.main import app
from casework.core.database import transaction
from casework.documents import service as documents_service
from casework.search import service as search_service
from casework.search.filters import SearchFilters
from casework.search.service import SearchMode
from casework.workspaces import service as workspaces_service
from tests.conftest import test_settings
from tests.fixtures.files import make_pdf

FILES = {
    "storm.pdf": make_pdf([
        "Annual maintenance schedule for the municipal buildings.",
        "Heavy rainfall overwhelmed the drainage system and the river burst its banks, "
        "flooding the lower streets of the town overnight.",
    ]),
    "forklift.txt": b"The forklift tipped over in the harbour warehouse on Monday.",
    "minutes.md": b"# Minutes\n\nThe board approved the quarterly budget for the harbour.",
}
QUERIES = [("forklift harbour", SearchMode.keyword), ("budget", SearchMode.keyword),
           ("natural disaster with water damage", SearchMode.semantic),
           ("accident at the docks", SearchMode.hybrid)]


def cli(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def environment(data_dir: Path, database_url: str | None, **extra: str) -> dict[str, str]:
    env = {"DATA_DIR": str(data_dir), "DATABASE_URL": database_url or "",
           "ENVIRONMENT": "test", "WORKER_THREADS": "2", "JOB_POLL_SECONDS": "0.05",
           "SEMANTIC_SEARCH": "true", **extra}
    return env


def snapshot_installation(data_dir: Path, database_url: str | None, embedder,
                          **overrides: Any) -> dict:
    """Originals (by filename) and search results, read through the public services."""
    settings = test_settings(data_dir, database_url, semantic_search=True, **overrides)
    runtime = build_runtime(settings, embedder=embedder)
    try:
        with transaction(runtime.read_sessions) as session:
            workspace = workspaces_service.get_workspace_by_slug(
                session=session, slug=workspaces_service.DEFAULT_SLUG)
            documents, _ = documents_service.list_documents(
                session=session, workspace_id=workspace.id,
                filters=documents_service.DocumentFilters(), limit=100, offset=0)
            originals = {}
            for document in documents:
                chunks = documents_service.read_original(runtime=runtime, document=document)
                originals[document.filename] = b"".join(chunks)
            results = {}
            for query, mode in QUERIES:
                result = search_service.search(
                    session=session, runtime=runtime, workspace_id=workspace.id, text=query,
                    mode=mode, filters=SearchFilters(), limit=10, offset=0)
                results[(query, mode)] = [(h.document_id, h.page, h.chunk_id, h.snippet)
                                          for h in result.hits]
    finally:
        runtime.close()
    return {"originals": originals, "results": results}


def wipe(data_dir: Path, database_url: str | None, admin_url: str | None) -> None:
    shutil.rmtree(data_dir)
    if database_url:
        name = make_url(database_url).database
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()


@pytest.fixture
def source_files(tmp_path: Path) -> Path:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name, data in FILES.items():
        (folder / name).write_bytes(data)
    return folder


