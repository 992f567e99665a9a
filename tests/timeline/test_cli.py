"""`casework timeline`: the dated sentences as a table, from the running server through the
local read token, or read in-process once no server runs; the same answer either way."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD, create_collection, ingest
from tests.fixtures.server import ServerProcess
from tests.timeline.conftest import DIARY, LETTER


def timeline(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "casework.cli.main", "timeline", *args], capture_output=True,
        text=True, timeout=300,
        env={**os.environ, "DATA_DIR": str(data_dir), "ENVIRONMENT": "test", "COLUMNS": "200",
             "SEMANTIC_SEARCH": "false", "ADMIN_EMAIL": OWNER_EMAIL,
             "ADMIN_PASSWORD": OWNER_PASSWORD})


def _wait_for_entity_jobs(client, count: int) -> None:
    deadline = time.monotonic() + 120
    while True:
        jobs = [j for j in client.get("/api/v1/jobs", params={"limit": 200}).json()
                if j["kind"] == "extract_entities"]
        if len(jobs) == count and all(j["status"] == "succeeded" for j in jobs):
            return
        assert time.monotonic() < deadline, jobs
        time.sleep(0.1)


def test_timeline_from_the_server_then_in_process(tmp_path):
    data = tmp_path / "data"
    server = ServerProcess(data, SEMANTIC_SEARCH="false", ENTITY_EXTRACTION="true",
                           LOG_FORMAT="json", LOG_LEVEL="INFO")
    client = server.start()
    try:
        collection = create_collection(client, "Harbour Road")
        ingest(client, collection["id"], ("a-diary.txt", DIARY), ("b-letter.txt", LETTER))
        _wait_for_entity_jobs(client, 2)
        table = timeline(data, "Harbour Road")
        assert table.returncode == 0, table.stderr
        lines = table.stdout
        dates = ["2024-03 ", "2024-03-01", "2024-03-03", "2024-03-05", "2024-04-02"]
        positions = [lines.index(d) for d in dates]
        assert positions == sorted(positions), lines
        assert "In March 2024 the landlord changed the locks." in lines
        assert "b-letter.txt, page 1" in lines and "1-7 of 7 events" in lines
        assert '"path": "/api/v1/collections/' in server.log.read_text()
        served = timeline(data, collection["id"], "--from", "2024-04-01", "--json")
        assert served.returncode == 0, served.stderr
        assert [e["date"] for e in json.loads(served.stdout)["events"]] == ["2024-04-02"] * 2
        missing = timeline(data, "No such case")
        assert missing.returncode == 1 and "not found" in missing.stderr
    finally:
        client.close()
        server.stop()

    local = timeline(data, collection["id"], "--from", "2024-04-01", "--json")
    assert local.returncode == 0, local.stderr
    assert json.loads(local.stdout) == json.loads(served.stdout)
    by_name = timeline(data, "Harbour Road", "--to", "2024-03-02")
    assert by_name.returncode == 0, by_name.stderr
    assert "2024-03-01" in by_name.stdout and "2024-04-02" not in by_name.stdout
    bad = timeline(data, "Harbour Road", "--from", "March")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    gone = timeline(data, "No such case")
    assert gone.returncode == 1 and "not found" in gone.stderr
