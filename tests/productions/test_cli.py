"""`casework produce`, run as a real process: it waits for the job, writes the ZIP and
prints its SHA-256 as `sha256sum` does; the ZIP's load files read back, the spreadsheet
asked for natively under NATIVES/."""

import hashlib
import zipfile
from pathlib import Path

from tests.fixtures.files import make_pdf
from tests.productions.loadfiles import parse_dat, parse_opt
from tests.reports.test_cli import run


def test_produce_writes_the_zip_and_prints_its_digest(tmp_path):
    folder = tmp_path / "case-files"
    folder.mkdir()
    (folder / "memo.pdf").write_bytes(make_pdf(["Order new hoses.", "Signed, the harbour."]))
    ledger = b"date,amount\r\n2026-03-01,1500\r\n"
    (folder / "ledger.csv").write_bytes(ledger)
    data_dir = tmp_path / "data"
    assert run(["ingest", str(folder), "--collection", "Harbour"], data_dir).returncode == 0

    out = tmp_path / "prod.zip"
    done = run(["produce", "Harbour", "--out", str(out), "--prefix", "HAR", "--start", "7",
                "--digits", "4", "--position", "top-centre",
                "--natives", "spreadsheets_and_media", "--families", "as_selected"],
               data_dir)
    assert done.returncode == 0, done.stderr
    digest, path = done.stdout.strip().split("  ", 1)
    assert Path(path) == out and hashlib.sha256(out.read_bytes()).hexdigest() == digest
    with zipfile.ZipFile(out) as archive:
        records = parse_dat(archive.read("DATA/VOL001.dat"))
        assert [(r["FILENAME"], r["BEGBATES"], r["NATIVEPATH"]) for r in records] == [
            ("ledger.csv", "HAR0007", "NATIVES\\HAR0007.csv"), ("memo.pdf", "HAR0008", "")]
        assert archive.read("NATIVES/HAR0007.csv") == ledger
        assert [p.key for p in parse_opt(archive.read("DATA/VOL001.opt"))] == [
            "HAR0007", "HAR0008", "HAR0009"]
    assert "HAR0007 - HAR0009" in done.stderr and "1 native" in done.stderr

    refused = run(["produce", "Harbour", "--out", str(out), "--prefix", "A B"], data_dir)
    assert refused.returncode == 2 and "prefix" in refused.stderr
