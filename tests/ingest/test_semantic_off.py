"""SEMANTIC_SEARCH=false: no model is ever loaded and no embedding job runs, even for
embedding jobs queued while it was on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from casework.app import create_app
from tests.conftest import login, test_settings

DRAIN = r"""
import json, sys, time
from sqlalchemy import select
from typer.testing import CliRunner
from casework.bootstrap import prepare
from casework.cli.main import app
from casework.core.database import transaction
from casework.core.settings import load_settings
from casework.jobs.models import Job, JobStatus
from casework.bootstrap import build_runtime, start_workers

result = CliRunner().invoke(app, ["ingest", sys.argv[1], "--collection", "Off"])
# A second start drains whatever the ingest left queued (embedding jobs are bulk work).
runtime = build_runtime(load_settings())
prepare(runtime)
start_workers(runtime)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    with transaction(runtime.read_sessions) as session:
        # The documents' jobs: periodic maintenance (export clean-up) has no workspace.
        jobs = session.execute(select(Job.kind, Job.status).where(
            Job.workspace_id.is_not(None))).all()
    if all(status not in (JobStatus.queued, JobStatus.running) for _, status in jobs):
        break
    time.sleep(0.05)
runtime.close()
print(json.dumps({
    "exit": result.exit_code, "output": result.output[-400:],
    "jobs": sorted([kind, str(status)] for kind, status in jobs),
    "loaded": sorted(m for m in ("sentence_transformers", "torch", "transformers")
                     if m in sys.modules)}))
"""


def _run_ingest(data_dir: Path, folder: Path) -> dict:
    # Only what a process needs, so no setting of the host leaks in.
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update({"DATA_DIR": str(data_dir), "SEMANTIC_SEARCH": "false", "ENVIRONMENT": "test",
                "JOB_POLL_SECONDS": "0.05", "PYTHONPATH": os.pathsep.join(sys.path)})
    done = subprocess.run([sys.executable, "-c", DRAIN, str(folder)], env=env, cwd=data_dir,
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_semantic_off_loads_no_model_even_for_embedding_jobs_queued_before(tmp_path):
    data_dir = tmp_path / "data"
    # Semantic search on, no workers: the note's embedding job stays queued.
    on = test_settings(data_dir, semantic_search=True, embedding_warmup=False,
                       worker_threads=0)
    with TestClient(create_app(on, run_workers=False)) as client:
        token = login(client, on.admin_email, on.admin_password.get_secret_value())
        client.headers["Authorization"] = f"Bearer {token['access_token']}"
        created = client.post("/api/v1/notes", json={"title": "Queued",
                                                      "body": "embedded later, or never"})
        assert created.status_code == 201, created.text
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "a.txt").write_text("A text ingested while semantic search is off.\n")
    report = _run_ingest(data_dir, folder)
    assert report["exit"] == 0, report["output"]
    assert report["loaded"] == []
    assert ["embed_note", "succeeded"] in report["jobs"]  # finished without a model
    assert not [kind for kind, _ in report["jobs"] if kind == "embed_document"]


def test_semantic_off_creates_no_embedding_jobs(tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "a.txt").write_text("Nothing here is embedded.\n")
    (tmp_path / "data").mkdir()
    report = _run_ingest(tmp_path / "data", folder)
    assert report["exit"] == 0, report["output"]
    assert report["loaded"] == []
    # Entities and near-duplicates need no embedding model: their jobs run; no embedding
    # job is ever made.
    assert [kind for kind, _ in report["jobs"]] == ["extract_entities", "find_near_duplicates",
                                                    "process_document"]
