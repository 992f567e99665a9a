"""Backup and restore of a whole installation, driven through the `casework` CLI.

The round trip is the promise: back up, wipe everything, restore into an empty
installation, and get byte-identical originals and the same search results.
"""

from __future__ import annotations

import tarfile
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casework.cli.main import app
from tests.backup.conftest import FILES, QUERIES, cli, environment, snapshot_installation, wipe
from tests.conftest import test_settings


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
