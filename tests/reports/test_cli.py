"""`casework report`, run as a real process: it waits for the job, writes the PDF, the HTML
and the inventory CSV, and prints their SHA-256 as `sha256sum` does."""

import csv
import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures.files import make_pdf
from tests.reports.conftest import pdf_text


def run(args, data_dir):
    return subprocess.run(
        [sys.executable, "-m", "casework.cli.main", *args], capture_output=True, text=True,
        timeout=300, env={**os.environ, "DATA_DIR": str(data_dir), "ENVIRONMENT": "test",
                          "COLUMNS": "200", "SEMANTIC_SEARCH": "false",
                          "ENTITY_EXTRACTION": "false"})


def test_report_writes_the_files_and_prints_their_digests(tmp_path):
    folder = tmp_path / "case-files"
    folder.mkdir()
    (folder / "inspection.pdf").write_bytes(make_pdf(["The crane on pier four was checked."]))
    (folder / "memo.pdf").write_bytes(make_pdf(["Order new hoses.", "Signed, the harbour."]))
    data_dir = tmp_path / "data"
    ingested = run(["ingest", str(folder), "--collection", "Harbour"], data_dir)
    assert ingested.returncode == 0, ingested.stderr

    out = tmp_path / "out"
    written = run(["report", "Harbour", "--out", str(out)], data_dir)
    assert written.returncode == 0, written.stderr
    lines = [line.split("  ", 1) for line in written.stdout.splitlines()]
    files = {Path(path).name.rsplit("-", 1)[-1]: (digest, Path(path)) for digest, path in lines}
    assert set(files) == {"report.pdf", "report.html", "inventory.csv"}
    for digest, path in files.values():
        assert path.parent == out and hashlib.sha256(path.read_bytes()).hexdigest() == digest

    inventory = files["inventory.csv"][1].read_bytes()
    rows = list(csv.DictReader(io.StringIO(inventory.decode())))
    assert {r["name"] for r in rows} == {"inspection.pdf", "memo.pdf"}
    assert {r["uploader"] for r in rows} == {"not recorded"}  # `casework ingest`: no upload event
    text = pdf_text(files["report.pdf"][1].read_bytes())
    for row in rows:
        assert row["name"] in text and row["sha256"] in text
    assert hashlib.sha256(inventory).hexdigest() in text
    assert f"inventory SHA-256 {hashlib.sha256(inventory).hexdigest()}" in written.stderr

    missing = run(["report", "No such case", "--out", str(out)], data_dir)
    assert missing.returncode == 1 and "no collection 'No such case'" in missing.stderr
