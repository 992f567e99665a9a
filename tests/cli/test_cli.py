"""The `casework` command line, run as a real process like a user would."""

import os
import sqlite3
import subprocess
import sys

from tests.fixtures.files import make_pdf


def run(args, data_dir, **env):
    return subprocess.run(
        [sys.executable, "-m", "casework.cli.main", *args], capture_output=True, text=True,
        timeout=300, env={**os.environ, "DATA_DIR": str(data_dir), "ENVIRONMENT": "test",
                          "COLUMNS": "200", "SEMANTIC_SEARCH": "false", **env})


def test_ingest_a_folder_then_search_it(tmp_path):
    folder = tmp_path / "case-files"
    (folder / "sub").mkdir(parents=True)
    (folder / "report.pdf").write_bytes(make_pdf([
        "Summary of the harbour inspection.",
        "The crane operator reported a cracked hydraulic hose on pier four."]))
    (folder / "sub" / "memo.md").write_text("# Memo\n\nOrder new hoses for the cranes.")
    (folder / "sub" / "copy.pdf").write_bytes((folder / "report.pdf").read_bytes())
    (folder / "photo.bin").write_bytes(b"\x00\x01\x02 not a document")
    (folder / ".hidden").write_text("skipped")
    data_dir = tmp_path / "data"

    result = run(["ingest", str(folder), "--collection", "Harbour"], data_dir)
    assert result.returncode == 1, result.stderr  # one file failed
    out = " ".join(result.stdout.split())
    assert "2 ingested, 1 duplicate, 1 failed" in out
    assert "photo.bin" in out and "not a supported file type" in out
    # Entities are left to the server: queued, not run by this process (nor lost).
    assert "extracted by `casework serve`" in out
    with sqlite3.connect(data_dir / "casework.db") as db:
        entity_jobs = db.execute("SELECT status, count(*) FROM job WHERE kind = "
                                 "'extract_entities' GROUP BY status").fetchall()
    assert entity_jobs == [("queued", 2)]

    found = run(["search", "hydraulic hose", "--mode", "keyword"], data_dir)
    assert found.returncode == 0, found.stderr
    lines = found.stdout.splitlines()
    first_row = next(line for line in lines if line.strip().startswith("│ 1"))
    assert "report.pdf" in first_row and "│ 2 " in first_row  # page 2 cited
    assert "cracked hydraulic hose" in " ".join(found.stdout.split())

    again = run(["ingest", str(folder / "report.pdf"), "-c", "Harbour"], data_dir)
    assert "0 ingested, 1 duplicate, 0 failed" in " ".join(again.stdout.split())


def test_invalid_settings_are_explained(tmp_path):
    result = run(["migrate"], tmp_path / "data", PORT="99999", CHUNK_TOKENS="abc")
    assert result.returncode == 2
    assert "configuration is invalid" in result.stderr
    assert "PORT" in result.stderr and "CHUNK_TOKENS" in result.stderr


def test_the_old_character_chunk_sizes_are_refused_with_what_replaced_them(tmp_path):
    result = run(["migrate"], tmp_path / "data", CHUNK_CHARS="1000")
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "CHUNK_CHARS is no longer read" in message and "CHUNK_TOKENS" in message
