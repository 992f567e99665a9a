"""`casework ask`: the answer and its sources, from the running server through the local read
token, or in-process when no server runs."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.ask.conftest import CASE_REPORT, UNRELATED_QUESTION
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD, create_collection, ingest
from tests.fixtures.server import ServerProcess


def ask(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "casework.cli.main", "ask", *args], capture_output=True,
        text=True, timeout=300,
        env={**os.environ, "DATA_DIR": str(data_dir), "ENVIRONMENT": "test", "COLUMNS": "200",
             "SEMANTIC_SEARCH": "false", "ADMIN_EMAIL": OWNER_EMAIL,
             "ADMIN_PASSWORD": OWNER_PASSWORD})


def access_log(server: ServerProcess, path: str) -> list[str]:
    """The server's access-log lines for `path`. A line is written when the request ends,
    after the question-log write that follows the response: wait for it a little."""
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in server.log.read_text().splitlines()
                 if f'"path": "{path}"' in line]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def test_ask_is_answered_by_the_server_then_in_process_once_it_is_gone(tmp_path):
    data = tmp_path / "data"
    server = ServerProcess(data, SEMANTIC_SEARCH="false", LOG_FORMAT="json", LOG_LEVEL="INFO")
    client = server.start()
    try:
        collection = create_collection(client, "Harbour Road")
        ingest(client, collection["id"], ("report.txt", CASE_REPORT.encode()))
        question = "What did the witness Grace Okafor see leave the car park?"
        answered = ask(data, question)
        assert answered.returncode == 0, answered.stderr
        assert "silver hatchback" in answered.stdout
        assert "Sources:" in answered.stdout and "report.txt, page 1" in answered.stdout
        served = access_log(server, "/api/v1/ask")
        assert served and '"user": "casework cli"' in served[-1], served
        refused = ask(data, question, "--collection-id", "0" * 32)
        assert refused.returncode == 1 and "not found" in refused.stderr
    finally:
        client.close()
        server.stop()

    as_json = ask(data, question, "--json", "--collection-id", collection["id"])
    assert as_json.returncode == 0, as_json.stderr
    answer = json.loads(as_json.stdout)
    assert answer["found"] and answer["mode"] == "extractive"
    assert "silver hatchback" in answer["citations"][0]["text"]
    missing = ask(data, UNRELATED_QUESTION)
    assert missing.returncode == 0 and "Not found in the material." in missing.stdout


def test_the_cli_modes_are_the_services_modes():
    from typing import get_args

    from casework.ask.service import AnswerMode
    from casework.cli.ask import Mode

    assert set(get_args(Mode)) == {m.value for m in AnswerMode}
