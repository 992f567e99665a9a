"""KEYWORD_ENGINE=tantivy: the same passages found as with FTS5, per-workspace scores, the
change log replayed idempotently, deletes and filters honoured, and a lost or stale index
rebuilt (through the API and the CLI, and by a process killed while it indexed)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from casework.cli.main import app
from casework.core.settings import Settings
from tests.conftest import create_collection, ingest, test_settings
from tests.search import test_tenant_isolation as isolation

REPO = Path(__file__).resolve().parents[2]

# Words both stemmers (FTS5's Porter, tantivy's Porter2) cut the same way.
FILES = {
    "harbour.txt": b"The harbour master filed the salvage report after the storm.\n\n"
                   b"Salvage rights were disputed by the owners of the trawler.",
    "ledger.txt": b"The ledger shows payments to the harbour master in March and April.",
    "witness.txt": b"A witness saw the trawler leave the harbour at night without lights.",
    "contract.txt": b"The salvage contract names the trawler owners and a fixed fee.",
    "minutes.txt": b"Minutes of the council meeting: budget, roads, the new library.",
    "config.txt": b"Configuration of the archive server: backups run every night.",
}
QUERIES = ["salvage", "harbour master", "trawler owners", "library budget", "night",
           '"salvage report"', "configur*", "storm witness lights", "nothing matches this"]


def _tantivy(tmp_path: Path, name: str = "data", **overrides: Any) -> Settings:
    return test_settings(tmp_path / name, keyword_engine="tantivy", **overrides)


def _hits(client: TestClient, q: str, **params: Any) -> list[dict]:
    response = client.get("/api/v1/search", params={"q": q, "mode": "keyword", "limit": 50,
                                                    **params})
    assert response.status_code == 200, response.text
    return response.json()["hits"]


def _found(client: TestClient, q: str, **params: Any) -> set[tuple[str, int]]:
    return {(h["filename"], h["start_char"]) for h in _hits(client, q, **params)}


def _scored(client: TestClient, q: str) -> list[tuple[str, int, float]]:
    return [(h["document_id"], h["start_char"], h["score"]) for h in _hits(client, q)]


def _index_dir(client: TestClient) -> Path:
    return client.app.state.runtime.settings.data_dir / "index" / "keyword"


def test_tantivy_finds_what_fts5_finds(tmp_path: Path, make_client: Any) -> None:
    fts5 = make_client(test_settings(tmp_path / "fts5", keyword_engine="fts5"))
    tantivy = make_client(_tantivy(tmp_path))
    for client in (fts5, tantivy):
        ingest(client, create_collection(client)["id"], *FILES.items())
    for q in QUERIES:
        assert _found(tantivy, q) == _found(fts5, q), q
    # One word ranks the same way in both (BM25: occurrences against passage length).
    for q in ("salvage", "trawler"):  # ("harbour" has a tie, broken differently)
        assert [h["filename"] for h in _hits(tantivy, q)] == [
            h["filename"] for h in _hits(fts5, q)], q
    assert _hits(tantivy, "nothing matches this") == []


def test_another_workspaces_volume_changes_no_score(tmp_path: Path, make_client: Any) -> None:
    client = make_client(_tantivy(tmp_path))
    ingest(client, create_collection(client)["id"], *FILES.items())
    before = {q: _scored(client, q) for q in QUERIES}

    other = client.post("/api/v1/workspaces", json={"name": "Other firm"}).json()
    headers = {"X-Workspace": other["slug"]}
    collection = client.post("/api/v1/collections", json={"name": "Theirs"}, headers=headers)
    bulk = [(f"b{n}.txt", b"salvage trawler harbour master night %d " % n * (1 + n % 5))
            for n in range(30)]
    response = client.post(f"/api/v1/collections/{collection.json()['id']}/documents",
                           files=[("files", (n, d, "text/plain")) for n, d in bulk],
                           headers=headers)
    assert response.status_code == 202, response.text
    deadline = time.monotonic() + 60
    while len(client.get("/api/v1/search", params={"q": "salvage", "mode": "keyword",
                                                   "limit": 50}, headers=headers
                         ).json()["hits"]) < len(bulk):
        assert time.monotonic() < deadline, "the other workspace's files were not indexed"
        time.sleep(0.1)

    after = {q: _scored(client, q) for q in QUERIES}
    assert after == before
    assert sorted(p.name for p in _index_dir(client).iterdir()) == sorted(
        [client.get("/api/v1/workspaces/current").json()["id"], other["id"]])


def test_a_deleted_document_leaves_the_results_at_once(tmp_path: Path,
                                                       make_client: Any) -> None:
    client = make_client(_tantivy(tmp_path))
    docs = ingest(client, create_collection(client)["id"], *FILES.items())
    assert {h["filename"] for h in _hits(client, "trawler")} == {
        "harbour.txt", "witness.txt", "contract.txt"}
    witness = next(d for d in docs if d["filename"] == "witness.txt")
    assert client.delete(f"/api/v1/documents/{witness['id']}").status_code == 204
    assert {h["filename"] for h in _hits(client, "trawler")} == {"harbour.txt", "contract.txt"}
    again = ingest(client, create_collection(client, "Case 2")["id"],
                   ("witness2.txt", FILES["witness.txt"]))
    assert "witness2.txt" in {h["filename"] for h in _hits(client, "trawler")}
    assert again[0]["status"] == "ready"


def test_filters_give_the_filtered_top_even_past_the_candidates_checked(
        tmp_path: Path, make_client: Any) -> None:
    client = make_client(_tantivy(tmp_path))
    loud = create_collection(client, "Loud")
    quiet = create_collection(client, "Quiet")
    ingest(client, loud["id"], *[(f"loud{n}.txt", b"salvage salvage salvage, part %d" % n)
                                 for n in range(12)])
    ingest(client, quiet["id"], ("quiet.txt", b"one salvage mention in a long passage "
                                              b"about many other matters entirely"))
    assert [h["filename"] for h in _hits(client, "salvage", collection_id=quiet["id"])] == [
        "quiet.txt"]
    # Fewer candidates checked than the loud collection's hits: the filtered search must
    # still find the quiet one (tantivy's top runs out, FTS5's joined plan answers).
    client.app.state.runtime.keyword_index.filtered_depth = 4
    assert [h["filename"] for h in _hits(client, "salvage", collection_id=quiet["id"],
                                         limit=3)] == ["quiet.txt"]
    assert len(_hits(client, "salvage", collection_id=loud["id"], limit=3)) == 3
    assert {h["filename"] for h in _hits(client, "salvage", type="note")} == set()


def _watermark(index_dir: Path, workspace_id: str) -> int | None:
    """The change id the index says it applied up to; None while it is being rebuilt."""
    try:
        return json.loads((index_dir / workspace_id / "applied.json").read_text())["applied"]
    except FileNotFoundError:
        return None


def test_replaying_the_log_twice_or_losing_the_index_changes_nothing(
        tmp_path: Path, make_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _tantivy(tmp_path)
    client = make_client(settings)
    ingest(client, create_collection(client)["id"], *FILES.items())
    expected = {q: _found(client, q) for q in QUERIES}
    scores = {q: _scored(client, q) for q in QUERIES}
    workspace_id = client.get("/api/v1/workspaces/current").json()["id"]
    index_dir = _index_dir(client)
    assert (_watermark(index_dir, workspace_id) or 0) > 0
    client.__exit__(None, None, None)

    # A crash after tantivy's commit, before the watermark: every change applied again.
    (index_dir / workspace_id / "applied.json").write_text(json.dumps({"applied": 0}))
    with sqlite_connection(settings) as conn:  # the log as it was: nothing pruned
        conn.execute(text("INSERT INTO keyword_change (workspace_id, chunk_id) "
                          "SELECT workspace_id, id FROM chunk"))
    client = make_client(settings)
    assert {q: _found(client, q) for q in QUERIES} == expected
    assert {q: _scored(client, q)
            for q in QUERIES} == scores  # no entry twice: the same scores
    client.__exit__(None, None, None)

    # The index lost: searches still answer (FTS5), and `keyword-index rebuild` restores it.
    shutil.rmtree(index_dir)
    for name, value in {"DATA_DIR": str(settings.data_dir), "KEYWORD_ENGINE": "tantivy",
                        "ENVIRONMENT": "test", "DATABASE_URL": "",
                        "SEMANTIC_SEARCH": "false"}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["keyword-index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert f"workspace {workspace_id}: {len(FILES)} chunks indexed" in result.output
    client = make_client(settings)
    assert {q: _scored(client, q)
            for q in QUERIES} == scores


def test_an_index_ahead_of_its_database_is_rebuilt(tmp_path: Path, make_client: Any) -> None:
    """A restored (older) database: the index claims changes this database never issued."""
    settings = _tantivy(tmp_path)
    client = make_client(settings)
    ingest(client, create_collection(client)["id"], *FILES.items())
    scores = _scored(client, "salvage")
    workspace_id = client.get("/api/v1/workspaces/current").json()["id"]
    index_dir = _index_dir(client)
    client.__exit__(None, None, None)
    (index_dir / workspace_id / "applied.json").write_text(json.dumps({"applied": 10**9}))

    client = make_client(settings)
    deadline = time.monotonic() + 30
    while _watermark(index_dir, workspace_id) in (10**9, None):
        assert time.monotonic() < deadline, "the stale index was not rebuilt"
        time.sleep(0.05)
    assert _scored(client, "salvage") == scores


def test_fts5_engine_stops_the_log_and_tantivy_rebuilds_after(tmp_path: Path,
                                                             make_client: Any) -> None:
    settings = _tantivy(tmp_path)
    client = make_client(settings)
    ingest(client, create_collection(client)["id"], *list(FILES.items())[:3])
    client.__exit__(None, None, None)

    fts5 = make_client(test_settings(settings.data_dir, keyword_engine="fts5"))
    ingest(fts5, create_collection(fts5, "Later")["id"], *list(FILES.items())[3:])
    with sqlite_connection(settings) as conn:
        assert conn.execute(text("SELECT count(*) FROM keyword_change")).scalar_one() == 0
    expected = {q: _found(fts5, q) for q in QUERIES}
    fts5.__exit__(None, None, None)

    client = make_client(settings)  # back to tantivy: the changes made meanwhile are found
    assert {q: _found(client, q) for q in QUERIES} == expected


class sqlite_connection:
    """A plain connection to the test's database, committed on leaving."""

    def __init__(self, settings: Settings) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(settings.resolved_database_url)

    def __enter__(self) -> Any:
        self.conn = self.engine.connect()
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.commit()
        self.conn.close()
        self.engine.dispose()


KILLED_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[2])
    from casework.bootstrap import build_runtime, prepare
    from tests.conftest import test_settings
    from tests.search.test_fts5_plan import add_chunks, workspace

    runtime = build_runtime(test_settings(Path(sys.argv[1]), keyword_engine="tantivy",
                                          worker_threads=0))
    prepare(runtime)
    ws = workspace(runtime, "busy")
    runtime.keyword_index.start()  # the indexer thread applies while chunks are written
    n = 0
    while True:  # until killed
        add_chunks(runtime, ws, [f"entry {n + i} of the salvage ledger" for i in range(50)])
        n += 50
        runtime.keyword_index.catch_up()
""")


def test_a_process_killed_while_indexing_leaves_a_consistent_index(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    process = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(data_dir),
                                str(REPO)], env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    try:
        deadline = time.monotonic() + 120
        database = data_dir / "casework.db"
        while True:
            assert process.poll() is None, "the writer died on its own"
            assert time.monotonic() < deadline, "the writer wrote nothing"
            if database.exists() and (data_dir / "index" / "keyword").exists():
                settings = _tantivy(tmp_path)
                with sqlite_connection(settings) as conn:
                    chunks = conn.execute(text("SELECT count(*) FROM chunk")).scalar_one()
                if chunks >= 1000:
                    break
            time.sleep(0.1)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()

    from casework.bootstrap import build_runtime, prepare
    from casework.core.database import transaction
    from casework.search.filters import SearchFilters
    from casework.search.query import parse_query

    runtime = build_runtime(_tantivy(tmp_path, worker_threads=0))
    try:
        prepare(runtime)
        runtime.keyword_index.catch_up()  # takes the writer the killed process held
        with transaction(runtime.read_sessions) as session:
            ws = session.scalar(text("SELECT id FROM workspace WHERE slug = 'busy'"))
            chunks = session.scalar(text("SELECT count(*) FROM chunk WHERE workspace_id = :w"),
                                    {"w": ws})
            hits = runtime.keyword_index.search(
                session, workspace_id=ws, query=parse_query("salvage"),
                filters=SearchFilters(), limit=100_000)
            pending = session.scalar(text("SELECT count(*) FROM keyword_change"))
        assert len(hits) == len({chunk_id for chunk_id, _ in hits}) == chunks
        assert pending == 0  # applied and pruned
    finally:
        runtime.close()


@pytest.mark.parametrize("check", [
    isolation.test_another_tenants_volume_never_pushes_out_a_workspaces_older_matches,
    isolation.test_scores_depend_only_on_the_callers_workspace])
def test_tenant_isolation_holds_with_tantivy(check: Any, tmp_path: Path,
                                             make_client: Any) -> None:
    """issue #15's isolation tests, on the tantivy engine (thousands of passages each)."""
    check(_tantivy(tmp_path, chunk_tokens=64, chunk_overlap_tokens=0), make_client)


def test_a_damaged_index_is_answered_around_and_rebuilt(tmp_path: Path,
                                                        make_client: Any) -> None:
    settings = _tantivy(tmp_path)
    client = make_client(settings)
    ingest(client, create_collection(client)["id"], *FILES.items())
    expected = {q: _found(client, q) for q in QUERIES}
    scores = _scored(client, "salvage")
    workspace_id = client.get("/api/v1/workspaces/current").json()["id"]
    index_dir = _index_dir(client) / workspace_id
    client.__exit__(None, None, None)
    (index_dir / "meta.json").write_text("{ not json")

    client = make_client(settings)
    assert {q: _found(client, q) for q in QUERIES} == expected  # FTS5 meanwhile
    deadline = time.monotonic() + 30
    while True:
        try:
            json.loads((index_dir / "meta.json").read_text())
            if _watermark(_index_dir(client), workspace_id):
                break
        except (ValueError, FileNotFoundError):
            pass
        assert time.monotonic() < deadline, "the damaged index was not rebuilt"
        time.sleep(0.05)
    assert _scored(client, "salvage") == scores
