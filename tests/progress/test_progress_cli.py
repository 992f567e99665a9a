"""`casework ingest` ends with its batch's stage counts and failures; `casework progress`
shows a collection's (or a batch's) the same way, and retries only what failed."""

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from casework.cli.main import app as cli
from tests.conftest import (
    OWNER_EMAIL,
    OWNER_PASSWORD,
    create_collection,
    test_settings,
    wait_for_documents,
)
from tests.fixtures.server import ServerProcess

BROKEN_PDF = b"%PDF-1.7\n this is not really a pdf \n%%EOF"


def _json(output: str) -> dict:
    """The command's JSON (indented), after any one-line JSON log records."""
    return json.loads(output[output.index("{\n"):])


def test_ingest_prints_stage_counts_and_failures_and_progress_retries_them(
        tmp_path, make_client, monkeypatch):
    folder = tmp_path / "seized"
    folder.mkdir()
    (folder / "memo.txt").write_bytes(b"harbour crane memo")
    (folder / "broken.pdf").write_bytes(BROKEN_PDF)
    data_dir = tmp_path / "data"
    for name, value in {"DATA_DIR": str(data_dir), "ENVIRONMENT": "test",
                        "SEMANTIC_SEARCH": "false", "DATABASE_URL": ""}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["ingest", str(folder), "--collection", "Seized"])
    assert result.exit_code == 1, result.output  # one file failed
    assert "2 documents: 0 queued, 0 processing, 1 ready, 1 failed" in result.output
    assert "failed: 1 documents" in result.output
    assert "broken.pdf" in result.output and "not a readable PDF" in result.output
    assert "casework progress --batch" in result.output

    shown = CliRunner().invoke(cli, ["progress", "Seized", "--no-server", "--json"])
    assert shown.exit_code == 0, shown.output
    answer = _json(shown.output)
    assert answer["progress"]["states"] == {"queued": 0, "processing": 0, "ready": 1,
                                            "failed": 1}
    assert [(f["filename"], f["stage"], f["code"]) for f in answer["failures"]["items"]] == [
        ("broken.pdf", "text", "extraction_failed")]

    client = make_client(test_settings(data_dir))
    collection_id = answer["progress"]["collection_id"]
    [batch] = client.get(f"/api/v1/collections/{collection_id}/ingest-batches").json()["items"]
    assert (batch["via"], batch["file_count"]) == ("cli", 2)
    assert batch["created_by_label"].startswith("casework ingest")

    retried = CliRunner().invoke(cli, ["progress", "--batch", batch["id"], "--no-server",
                                       "--retry-failed"])
    assert retried.exit_code == 0, retried.output
    assert "queued again: 1 extraction" in retried.output
    assert "2 documents:" in retried.output
    # The server's workers (this client's app) run it again: a second failed job.
    failed = [d["id"] for d in client.get("/api/v1/documents").json()["items"]
              if d["filename"] == "broken.pdf"]
    wait_for_documents(client, failed)
    assert len(client.get("/api/v1/jobs", params={"status": "failed"}).json()) == 2
    audit = client.get("/api/v1/audit", params={"action": "ingest.retry_failed"}).json()
    assert [(e["actor_label"], e["target_id"]) for e in audit["items"]] == [
        ("cli", batch["id"])]
    assert CliRunner().invoke(cli, ["progress", "--no-server"]).exit_code == 2
    missing = CliRunner().invoke(cli, ["progress", "No such case", "--no-server"])
    assert missing.exit_code == 1 and "collection not found" in missing.output


def _progress(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "casework.cli.main", "progress", *args], capture_output=True,
        text=True, timeout=300,
        env={**os.environ, "DATA_DIR": str(data_dir), "ENVIRONMENT": "test", "COLUMNS": "200",
             "SEMANTIC_SEARCH": "false", "DATABASE_URL": "", "ADMIN_EMAIL": OWNER_EMAIL,
             "ADMIN_PASSWORD": OWNER_PASSWORD})


def test_progress_from_the_running_server_then_in_process(tmp_path):
    data = tmp_path / "data"
    server = ServerProcess(data, SEMANTIC_SEARCH="false", ENTITY_EXTRACTION="false",
                           LOG_FORMAT="json", LOG_LEVEL="INFO")
    client = server.start()
    try:
        collection = create_collection(client, "Harbour Road")
        sent = client.post(f"/api/v1/collections/{collection['id']}/documents", files=[
            ("files", ("memo.txt", b"crane memo", "text/plain")),
            ("files", ("broken.pdf", BROKEN_PDF, "application/pdf"))]).json()
        wait_for_documents(client, [d["document"]["id"] for d in sent["documents"]])
        table = _progress(data, "Harbour Road")
        assert table.returncode == 0, table.stderr
        assert "2 documents: 0 queued, 0 processing, 1 ready, 1 failed" in table.stdout
        assert "broken.pdf" in table.stdout and "not a readable PDF" in table.stdout
        assert f'/api/v1/collections/{collection["id"]}/progress' in server.log.read_text()
        served = _progress(data, "--batch", sent["batch_id"], "--json")
        assert served.returncode == 0, served.stderr
    finally:
        client.close()
        server.stop()
    local = _progress(data, "--batch", sent["batch_id"], "--json")
    assert local.returncode == 0, local.stderr
    served_answer, local_answer = json.loads(served.stdout), json.loads(local.stdout)
    assert served_answer["failures"] == local_answer["failures"]
    assert served_answer["progress"]["states"] == local_answer["progress"]["states"] == {
        "queued": 0, "processing": 0, "ready": 1, "failed": 1}
    assert local_answer["progress"]["batch_id"] == sent["batch_id"]
