"""Backup and restore of a whole installation, driven through the `casework` CLI.

The round trip is the promise: back up, wipe everything, restore into an empty
installation, and get byte-identical originals and the same search results.
"""

from __future__ import annotations

import shutil
import tarfile
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from casework.cli.main import app
from casework.core.database import transaction
from casework.documents import service as documents_service
from casework.runtime import build_runtime
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


def snapshot_installation(data_dir: Path, database_url: str | None, embedder) -> dict:
    """Originals (by filename) and search results, read through the public services."""
    settings = test_settings(data_dir, database_url, semantic_search=True)
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
                _, chunks = documents_service.stream_original(
                    session=session, runtime=runtime, workspace_id=workspace.id,
                    document_id=document.id)
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


@pytest.mark.embedding
def test_backup_wipe_restore_gives_identical_originals_and_search_results(
        request, tmp_path, database_url, source_files, embedder):
    data_dir = tmp_path / "data"
    env = environment(data_dir, database_url)
    cli(env, "ingest", str(source_files), "--collection", "Harbour")
    before = snapshot_installation(data_dir, database_url, embedder)
    assert before["originals"] == FILES
    assert before["results"][QUERIES[2]][0][1] == 2  # the flood passage, page 2
    assert any(before["results"][q] for q in QUERIES)

    backups = tmp_path / "backups"
    cli(env, "backup", "--to", str(backups))
    (archive,) = backups.glob("casework-backup-*.tar")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert names[-1] == "manifest.json"
    assert any(n.startswith("database/") for n in names)
    # Every original, by its key (derived thumbnails and page previews come along too).
    assert sum(n.startswith("blobs/") and "/originals/" in n for n in names) == len(FILES)
    assert any(n.startswith("index/") for n in names)  # the vector index files

    admin = request.getfixturevalue("postgres_admin_url") if database_url else None
    wipe(data_dir, database_url, admin)
    output = cli(env, "restore", str(archive))
    assert "restored" in output
    after = snapshot_installation(data_dir, database_url, embedder)
    assert after["originals"] == FILES  # byte-identical
    assert after["results"] == before["results"]


def make_installation(tmp_path: Path, source_files: Path) -> tuple[dict[str, str], Path]:
    env = environment(tmp_path / "data", None, SEMANTIC_SEARCH="false")
    cli(env, "ingest", str(source_files), "--collection", "Harbour")
    cli(env, "backup", "--to", str(tmp_path / "backups" / "one.tar"))
    return env, tmp_path / "backups" / "one.tar"


def test_a_corrupted_archive_is_refused_and_nothing_changes(tmp_path, source_files):
    _, archive = make_installation(tmp_path, source_files)
    data = bytearray(archive.read_bytes())
    marker = data.find(b"forklift tipped over")
    assert marker > 0
    data[marker] ^= 0x20  # one flipped bit inside an original
    archive.write_bytes(bytes(data))
    target = environment(tmp_path / "fresh", None, SEMANTIC_SEARCH="false")
    result = CliRunner().invoke(app, ["restore", str(archive)], env=target)
    assert result.exit_code == 1
    assert "corrupted" in result.output and "checksum mismatch" in result.output
    assert not (tmp_path / "fresh" / "blobs").exists() or not any(
        (tmp_path / "fresh" / "blobs").rglob("*.txt"))


def test_a_truncated_archive_is_refused(tmp_path, source_files):
    _, archive = make_installation(tmp_path, source_files)
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    target = environment(tmp_path / "fresh", None, SEMANTIC_SEARCH="false")
    result = CliRunner().invoke(app, ["restore", str(archive)], env=target)
    assert result.exit_code == 1
    assert "restore refused" in result.output


def test_restore_will_not_overwrite_data_without_force(tmp_path, source_files):
    env, archive = make_installation(tmp_path, source_files)
    result = CliRunner().invoke(app, ["restore", str(archive)], env=env)
    assert result.exit_code == 1 and "--force" in result.output
    assert "restored" in cli(env, "restore", str(archive), "--force")


def test_keep_prunes_older_archives(tmp_path, source_files):
    env, _ = make_installation(tmp_path, source_files)
    folder = tmp_path / "rotating"
    for _ in range(3):
        cli(env, "backup", "--to", str(folder), "--keep", "2")
        time.sleep(1.05)  # archive names carry the second
    assert len(list(folder.glob("casework-backup-*.tar"))) == 2
    assert not list(folder.glob("*.partial"))


def test_the_embedded_worker_takes_scheduled_backups(tmp_path, make_client):
    settings = test_settings(tmp_path / "data", None, backup_interval_hours=24,
                             backup_keep=1, worker_heartbeat_seconds=0.2)
    make_client(settings)
    deadline = time.monotonic() + 30
    while not list(settings.resolved_backup_dir.glob("casework-backup-*.tar")):
        assert time.monotonic() < deadline, "no scheduled backup was written"
        time.sleep(0.2)
    time.sleep(1)  # further heartbeats do not enqueue another backup within the interval
    assert len(list(settings.resolved_backup_dir.glob("casework-backup-*.tar"))) == 1
