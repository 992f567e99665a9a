"""`casework search` asks the running `casework serve` (warm model), and searches in-process
when there is none; either way it prints the table and nothing else."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from casework.cli.operations import local_server_url
from casework.cli.search import MODES
from casework.core import local_server
from casework.search.service import SearchMode
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD, create_collection, ingest
from tests.fixtures.server import ServerProcess, free_port

PASSAGE = "The quarterly zebra migration report mentions the Okavango delta crossings."


def search(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "casework.cli.main", "search", *args], capture_output=True,
        text=True, timeout=300,
        env={**os.environ, "DATA_DIR": str(data_dir), "ENVIRONMENT": "test", "COLUMNS": "200",
             "ADMIN_EMAIL": OWNER_EMAIL, "ADMIN_PASSWORD": OWNER_PASSWORD, **env})


def assert_only_the_table(result: subprocess.CompletedProcess[str]) -> None:
    """A title line, then box-drawing rows: no progress bar, notice or log line."""
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert "search: 'zebra migration'" in lines[0]
    assert all(line.lstrip()[0] in "┏┃┡│├└" for line in lines[1:]), result.stdout
    assert "zebra.txt" in result.stdout and "Okavango delta" in result.stdout


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_search_is_answered_by_the_running_server_then_in_process_once_it_is_gone(tmp_path):
    server = ServerProcess(tmp_path / "data", SEMANTIC_SEARCH="true", LOG_FORMAT="json",
                           LOG_LEVEL="INFO")
    client = server.start()
    try:
        published = local_server.read(tmp_path / "data" / "local-server.json")
        assert published is not None
        assert (published.url, published.pid) == (server.url, server.process.pid)
        assert stat.S_IMODE(os.stat(tmp_path / "data" / "local-server.json").st_mode) == 0o600
        collection = create_collection(client, "Wildlife")
        ingest(client, collection["id"], ("zebra.txt", PASSAGE.encode()), vectors=True)

        found = search(tmp_path / "data", "zebra migration")
        assert_only_the_table(found)
        # The server answered: its access log names the CLI's read-only principal.
        served = [line for line in server.log.read_text().splitlines()
                  if '"path": "/api/v1/search"' in line]
        assert served and '"user": "casework cli"' in served[-1], served
        assert '"status": 200' in served[-1]

        wrong = httpx.get(f"{server.url}/api/v1/search", params={"q": "zebra"},
                          headers={"X-Casework-Local-Token": "guessed"})
        assert wrong.status_code == 401
        assert wrong.json()["error"]["code"] == "unauthorized"
        refused = search(tmp_path / "data", "zebra", "--workspace", "nowhere")
        assert refused.returncode == 1 and "workspace not found" in refused.stderr
    finally:
        client.close()
        server.stop()
    assert not (tmp_path / "data" / "local-server.json").exists()  # removed on shutdown

    # A server that died without cleaning up: its file names a dead process.
    (tmp_path / "data" / "local-server.json").write_text(
        f'{{"url": "http://127.0.0.1:{free_port()}", "pid": {dead_pid()}, "token": "x"}}')
    assert_only_the_table(search(tmp_path / "data", "zebra migration"))
    # A live pid whose server is gone (the port answers nothing): the same fallback.
    (tmp_path / "data" / "local-server.json").write_text(
        f'{{"url": "http://127.0.0.1:{free_port()}", "pid": {os.getpid()}, "token": "x"}}')
    assert_only_the_table(search(tmp_path / "data", "zebra migration", "--mode", "keyword"))


def test_the_torch_runtime_loads_its_model_without_a_word_on_the_terminal(tmp_path):
    pytest.importorskip("sentence_transformers")
    data_dir = tmp_path / "data"
    (tmp_path / "zebra.txt").write_text(PASSAGE)
    env = {**os.environ, "DATA_DIR": str(data_dir), "ENVIRONMENT": "test",
           "ADMIN_EMAIL": OWNER_EMAIL, "ADMIN_PASSWORD": OWNER_PASSWORD}
    stored = subprocess.run(
        [sys.executable, "-m", "casework.cli.main", "ingest", str(tmp_path / "zebra.txt"),
         "-c", "Wildlife"], capture_output=True, text=True, timeout=300, env=env)
    assert stored.returncode == 0, stored.stderr
    assert_only_the_table(search(data_dir, "zebra migration", "--mode", "semantic",
                                 EMBEDDING_RUNTIME="torch"))


def test_the_cli_offers_exactly_the_search_modes():
    assert set(MODES) == {mode.value for mode in SearchMode}


def test_the_server_publishes_an_address_the_cli_reaches_over_loopback():
    assert local_server_url("0.0.0.0", 8000) == "http://127.0.0.1:8000"
    assert local_server_url("localhost", 8001) == "http://127.0.0.1:8001"
    assert local_server_url("::", 8002) == "http://[::1]:8002"
    assert local_server_url("192.0.2.10", 8000) is None  # the token would not be accepted
