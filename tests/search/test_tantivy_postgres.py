"""KEYWORD_ENGINE=tantivy on PostgreSQL: the passages PostgreSQL finds, found at once after
an upload or a delete, a transaction that commits late never skipped, an index left
behind the log's pruning rebuilt, and one writer per DATA_DIR (a real PostgreSQL server:
CASEWORK_TEST_POSTGRES_URL, or a throw-away pgserver)."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, select, text
from typer.testing import CliRunner

from casework.bootstrap import build_runtime, prepare
from casework.cli.main import app
from casework.collections.models import Collection
from casework.core.database import transaction
from casework.documents.models import Document
from casework.runtime import Runtime
from casework.search import indexing
from casework.search.chunking import Passage
from casework.search.filters import SearchFilters
from casework.search.query import parse_query
from casework.search.tantivy_postgres import PostgresTantivyIndex
from tests.conftest import _fresh_database, create_collection, ingest, test_settings
from tests.search.test_fts5_plan import workspace
from tests.search.test_tantivy_keyword import FILES, QUERIES, _found, _hits

pytestmark = pytest.mark.postgres


@pytest.fixture
def other_postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A second empty database, for the same files under PostgreSQL's own engine."""
    yield from _fresh_database(postgres_admin_url)


def test_tantivy_on_postgres_finds_what_postgres_finds(
        tmp_path: Path, postgres_url: str, other_postgres_url: str, make_client: Any) -> None:
    tantivy = make_client(test_settings(tmp_path / "tantivy", postgres_url,
                                        keyword_engine="tantivy"))
    database = make_client(test_settings(tmp_path / "database", other_postgres_url,
                                         keyword_engine="database"))
    assert isinstance(tantivy.app.state.runtime.keyword_index, PostgresTantivyIndex)
    for client in (tantivy, database):
        ingest(client, create_collection(client)["id"], *FILES.items())
    for q in QUERIES:
        assert _found(tantivy, q) == _found(database, q), q
    for q in ("salvage", "trawler"):
        assert [h["filename"] for h in _hits(tantivy, q)] == [
            h["filename"] for h in _hits(database, q)], q
    workspace_id = tantivy.get("/api/v1/workspaces/current").json()["id"]
    index_dir = tantivy.app.state.runtime.settings.data_dir / "index" / "keyword"
    assert (index_dir / workspace_id / "applied.json").exists()  # tantivy answered


def test_uploads_and_deletes_show_in_the_next_search(tmp_path: Path, postgres_url: str,
                                                     make_client: Any) -> None:
    client = make_client(test_settings(tmp_path / "data", postgres_url,
                                       keyword_engine="tantivy"))
    collection = create_collection(client)
    docs = ingest(client, collection["id"], *list(FILES.items())[:3])
    assert {h["filename"] for h in _hits(client, "trawler")} == {"harbour.txt", "witness.txt"}
    witness = next(d for d in docs if d["filename"] == "witness.txt")
    assert client.delete(f"/api/v1/documents/{witness['id']}").status_code == 204
    assert {h["filename"] for h in _hits(client, "trawler")} == {"harbour.txt"}
    ingest(client, collection["id"], ("contract.txt", FILES["contract.txt"]))
    assert {h["filename"] for h in _hits(client, "trawler")} == {"harbour.txt",
                                                                 "contract.txt"}


def _runtime(data_dir: Path, postgres_url: str, **index_options: Any) -> Runtime:
    runtime = build_runtime(test_settings(data_dir, postgres_url, keyword_engine="tantivy",
                                          worker_threads=0))
    if index_options:
        runtime.keyword_index = PostgresTantivyIndex(
            directory=runtime.settings.index_dir / "keyword", sessions=runtime.sessions,
            read_sessions=runtime.read_sessions, **index_options)
    prepare(runtime)
    return runtime


def _add(session: Any, workspace_id: str, body: str) -> None:
    collection_id = session.scalar(select(Collection.id).where(
        Collection.workspace_id == workspace_id))
    document = Document(workspace_id=workspace_id, collection_id=collection_id,
                        filename=f"{uuid.uuid4().hex[:8]}.txt", media_type="text/plain",
                        size_bytes=len(body),
                        sha256=hashlib.sha256(uuid.uuid4().bytes).hexdigest())
    session.add(document)
    session.flush()
    indexing.write_chunks(session=session, workspace_id=workspace_id,
                          document_id=document.id, passages=[Passage(1, 0, 0, len(body), body)])


def _search(runtime: Runtime, workspace_id: str, q: str) -> list[str]:
    with transaction(runtime.read_sessions) as session:
        hits = runtime.keyword_index.search(session, workspace_id=workspace_id,
                                            query=parse_query(q), filters=SearchFilters(),
                                            limit=10)
        return list(session.scalars(text(
            "SELECT c.text FROM chunk c WHERE c.id = ANY(:ids)"),
            {"ids": [chunk_id for chunk_id, _ in hits]}))


def _watermark(runtime: Runtime, workspace_id: str) -> dict[str, Any]:
    """The index's state file; {} while it is being rebuilt."""
    path = runtime.settings.index_dir / "keyword" / workspace_id / "applied.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}


def test_a_transaction_that_commits_after_a_later_one_is_not_skipped(
        tmp_path: Path, postgres_url: str) -> None:
    runtime = _runtime(tmp_path / "data", postgres_url)
    try:
        ws = workspace(runtime, "late")
        with transaction(runtime.sessions) as session:
            _add(session, ws, "the first entry of the salvage ledger")
        assert _search(runtime, ws, "salvage") == ["the first entry of the salvage ledger"]

        early = runtime.sessions()  # begins, writes, and stays open
        _add(early, ws, "an early writer's mooring record")
        early_txid = int(early.scalar(text("SELECT pg_current_xact_id()::text::bigint")))
        with transaction(runtime.sessions) as session:  # begins later, commits first
            _add(session, ws, "a later writer's mooring note")
            later_txid = int(session.scalar(text("SELECT pg_current_xact_id()::text::bigint")))
        assert _search(runtime, ws, "mooring") == ["a later writer's mooring note"]
        # The watermark stays below the open transaction; the later one is held apart.
        # (The horizon is the whole server's: other databases' transactions may hold it
        # lower still, and hold more of this one's transactions apart.)
        mark = _watermark(runtime, ws)
        assert mark["applied"] <= early_txid
        assert later_txid in mark["beyond"] and early_txid not in mark["beyond"]

        early.commit()
        early.close()
        assert sorted(_search(runtime, ws, "mooring")) == [
            "a later writer's mooring note", "an early writer's mooring record"]
        mark = _watermark(runtime, ws)  # held apart while the server's horizon lags
        assert mark["applied"] > early_txid or early_txid in mark["beyond"]
    finally:
        runtime.close()


def test_an_index_left_behind_the_pruned_log_is_rebuilt(tmp_path: Path,
                                                         postgres_url: str) -> None:
    """Two machines (two DATA_DIRs): one is away while the other prunes the log."""
    away = _runtime(tmp_path / "away", postgres_url)
    ws = workspace(away, "pruned")
    with transaction(away.sessions) as session:
        _add(session, ws, "the harbour ledger")
    assert _search(away, ws, "ledger") == ["the harbour ledger"]
    away.close()

    here = _runtime(tmp_path / "here", postgres_url, retention_seconds=0.0)
    try:
        with transaction(here.sessions) as session:
            _add(session, ws, "the salvage ledger")
        assert len(_search(here, ws, "ledger")) == 2
        here.keyword_index.catch_up()  # applies, then prunes everything (retention 0)
        with transaction(here.read_sessions) as session:
            assert session.scalar(text("SELECT count(*) FROM keyword_change")) == 0
            assert session.scalar(text("SELECT pruned_through FROM keyword_horizon "
                                       "WHERE workspace_id = :w"), {"w": ws}) is not None
    finally:
        here.close()

    back = _runtime(tmp_path / "away", postgres_url)
    try:
        stale = _watermark(back, ws).get("seen", 0)
        # Its index lacks the salvage ledger and the log no longer says so: PostgreSQL
        # answers until the index is rebuilt, then tantivy does.
        assert sorted(_search(back, ws, "ledger")) == ["the harbour ledger",
                                                       "the salvage ledger"]
        # Rebuilt: it has seen the salvage ledger's change. (Not its `applied`: that is
        # the cluster's oldest open transaction, which another client can hold still.)
        deadline = time.monotonic() + 30
        while _watermark(back, ws).get("seen", 0) <= stale:
            assert time.monotonic() < deadline, "the index was not rebuilt"
            time.sleep(0.05)
        assert sorted(_search(back, ws, "ledger")) == ["the harbour ledger",
                                                       "the salvage ledger"]
    finally:
        back.close()


def test_processes_sharing_a_data_dir_have_one_writer(tmp_path: Path,
                                                      postgres_url: str) -> None:
    first = _runtime(tmp_path / "data", postgres_url)
    second = _runtime(tmp_path / "data", postgres_url)
    try:
        ws = workspace(first, "shared")
        with transaction(first.sessions) as session:
            _add(session, ws, "the dredging permit")
        assert _search(first, ws, "dredging") == ["the dredging permit"]
        assert _search(second, ws, "dredging") == ["the dredging permit"]
        with transaction(second.sessions) as session:
            _add(session, ws, "the dredging invoice")
        # The reader does not write the writer's index: it asks PostgreSQL until the
        # writer has applied the change, then reads the writer's commit.
        for runtime in (second, first, second):
            assert sorted(_search(runtime, ws, "dredging")) == ["the dredging invoice",
                                                                "the dredging permit"]
        assert first.keyword_index._writer.held
        assert not second.keyword_index._writer.held
    finally:
        first.close()
        second.close()


def test_tantivy_is_the_default_on_postgres_and_database_still_chosen(
        tmp_path: Path, postgres_url: str) -> None:
    """Nothing set: tantivy beside PostgreSQL, with the change log's triggers on;
    KEYWORD_ENGINE=database: PostgreSQL's own engine, triggers off."""
    from casework.search.keyword_index import PostgresKeywordIndex
    from casework.search.keyword_log_pg import _present

    runtime = build_runtime(test_settings(tmp_path / "a", postgres_url, worker_threads=0))
    try:
        prepare(runtime)
        assert isinstance(runtime.keyword_index, PostgresTantivyIndex)
        with transaction(runtime.read_sessions) as session:
            assert _present(session)
    finally:
        runtime.close()
    runtime = build_runtime(test_settings(tmp_path / "b", postgres_url, worker_threads=0,
                                          keyword_engine="database"))
    try:
        prepare(runtime)
        assert type(runtime.keyword_index) is PostgresKeywordIndex
        with transaction(runtime.read_sessions) as session:
            assert not _present(session)
    finally:
        runtime.close()


def test_a_reader_behind_the_writer_scores_the_changes_from_their_rows(
        tmp_path: Path, postgres_url: str) -> None:
    """A process reading another's index while that one has not applied the latest
    changes does not fall back to PostgreSQL's plan: the chunks changed since are scored
    from their rows beside tantivy's candidates (a new passage found, a deleted one gone)."""
    writer = _runtime(tmp_path / "data", postgres_url)
    reader = _runtime(tmp_path / "data", postgres_url)
    plan = reader.keyword_index.fallback.search
    asked_the_plan: list[str] = []

    def spy(*args: Any, **kwargs: Any) -> Any:  # the real plan, counted
        asked_the_plan.append(str(kwargs["query"]))
        return plan(*args, **kwargs)

    reader.keyword_index.fallback.search = spy
    try:
        ws = workspace(writer, "overlay")
        with transaction(writer.sessions) as session:
            for body in ("the dredging permit", "the dredging survey", "harbour fees"):
                _add(session, ws, body)
        assert sorted(_search(writer, ws, "dredging")) == ["the dredging permit",
                                                           "the dredging survey"]
        # The writer's indexer applies nothing while the test holds the shard's lock.
        shard_lock = writer.keyword_index._shard(ws).lock
        with shard_lock:
            built = _watermark(writer, ws)
            with transaction(reader.sessions) as session:
                _add(session, ws, "the dredging invoice")
                session.execute(text("DELETE FROM chunk WHERE workspace_id = :w "
                                     "AND text = 'the dredging survey'"), {"w": ws})
            assert sorted(_search(reader, ws, "dredging")) == ["the dredging invoice",
                                                               "the dredging permit"]
            assert _search(reader, ws, "survey") == []
            assert _search(reader, ws, "harbour") == ["harbour fees"]
            assert _watermark(writer, ws) == built  # the index lags: the log answered
        assert asked_the_plan == []
        assert not reader.keyword_index._writer.held
    finally:
        writer.close()
        reader.close()


def test_back_to_postgres_own_engine_drops_the_log(tmp_path: Path, postgres_url: str,
                                                    make_client: Any) -> None:
    client = make_client(test_settings(tmp_path / "data", postgres_url,
                                       keyword_engine="tantivy"))
    ingest(client, create_collection(client)["id"], *list(FILES.items())[:2])
    client.__exit__(None, None, None)
    database = make_client(test_settings(tmp_path / "data", postgres_url,
                                         keyword_engine="database"))
    ingest(database, create_collection(database, "Later")["id"], *list(FILES.items())[2:])
    with transaction(database.app.state.runtime.read_sessions) as session:
        assert session.scalar(text("SELECT count(*) FROM keyword_change")) == 0
        assert session.scalar(text(
            "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'keyword_change_%'")) == 0
    expected = {q: _found(database, q) for q in QUERIES}
    database.__exit__(None, None, None)
    client = make_client(test_settings(tmp_path / "data", postgres_url,
                                       keyword_engine="tantivy"))
    assert {q: _found(client, q) for q in QUERIES} == expected


def test_an_index_made_against_another_database_is_rebuilt(
        tmp_path: Path, postgres_url: str, postgres_admin_url: str) -> None:
    """A restore creates a new database with the same workspaces and chunk ids: an index
    built from the old one must not answer for it."""
    before = _runtime(tmp_path / "data", postgres_url)
    ws = workspace(before, "restored")
    with transaction(before.sessions) as session:
        _add(session, ws, "the pier inspection")
    assert _search(before, ws, "pier") == ["the pier inspection"]
    built_from = (before.settings.index_dir / "keyword" / ws / "database").read_text()
    before.close()
    before.engine.dispose()

    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    source = make_url(postgres_url).database
    copy = f"{source}_restored"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{copy}" TEMPLATE "{source}"'))
    restored_url = make_url(postgres_url).set(database=copy).render_as_string(
        hide_password=False)
    after = _runtime(tmp_path / "data", restored_url)
    try:
        with transaction(after.sessions) as session:
            _add(session, ws, "the pier repair")
        assert sorted(_search(after, ws, "pier")) == ["the pier inspection",
                                                      "the pier repair"]
        identity = after.settings.index_dir / "keyword" / ws / "database"
        deadline = time.monotonic() + 30
        while not identity.exists() or identity.read_text() == built_from:
            assert time.monotonic() < deadline, "the index of the other database was kept"
            time.sleep(0.05)
        assert sorted(_search(after, ws, "pier")) == ["the pier inspection",
                                                      "the pier repair"]
    finally:
        after.close()
        after.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
        admin.dispose()


def test_an_index_ahead_of_a_database_restored_in_place_is_rebuilt(
        tmp_path: Path, postgres_url: str) -> None:
    """A restore into the same database puts the log's sequence back where the backup
    left it: an index that has seen later changes no longer describes the database."""
    before = _runtime(tmp_path / "data", postgres_url)
    ws = workspace(before, "in place")
    for body in ("the quay survey", "the quay lease", "the quay toll"):
        with transaction(before.sessions) as session:
            _add(session, ws, body)
        _search(before, ws, "quay")
    seen = _watermark(before, ws)["seen"]
    before.close()

    with transaction(before.sessions) as session:  # what pg_restore leaves of the log
        session.execute(text("DELETE FROM keyword_change"))
        session.execute(text("SELECT setval(pg_get_serial_sequence('keyword_change', 'id'), "
                             ":v)"), {"v": seen - 2})
    before.engine.dispose()

    after = _runtime(tmp_path / "data", postgres_url)
    try:
        assert len(_search(after, ws, "quay")) == 3
        deadline = time.monotonic() + 30
        while _watermark(after, ws).get("seen") in (seen, None):
            assert time.monotonic() < deadline, "the index ahead of the database was kept"
            time.sleep(0.05)
        assert _watermark(after, ws)["seen"] <= seen - 2
    finally:
        after.close()


def test_the_rebuild_command_rebuilds_this_data_dirs_index(
        tmp_path: Path, postgres_url: str, make_client: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = test_settings(tmp_path / "data", postgres_url, keyword_engine="tantivy")
    client = make_client(settings)
    ingest(client, create_collection(client)["id"], *FILES.items())
    expected = {q: _found(client, q) for q in QUERIES}
    workspace_id = client.get("/api/v1/workspaces/current").json()["id"]
    client.__exit__(None, None, None)
    shutil.rmtree(settings.index_dir / "keyword")

    for name, value in {"DATA_DIR": str(settings.data_dir), "KEYWORD_ENGINE": "tantivy",
                        "ENVIRONMENT": "test", "DATABASE_URL": postgres_url,
                        "SEMANTIC_SEARCH": "false"}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["keyword-index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert f"workspace {workspace_id}: {len(FILES)} chunks indexed" in result.output
    assert (settings.index_dir / "keyword" / workspace_id / "applied.json").exists()
    client = make_client(settings)
    assert {q: _found(client, q) for q in QUERIES} == expected


def test_changed_chunks_do_not_take_tantivys_places() -> None:
    """Stale candidates are dropped and tantivy asked for more until `want` fresh ones are
    in hand or it has no more (a pure function: no server)."""
    from casework.search.tantivy_pg_rescore import _without_stale

    ranking = [(chunk_id, 10.0 - chunk_id) for chunk_id in range(1, 8)]
    asked: list[int] = []

    def search(more: int) -> tuple[list[tuple[int, float]], int]:
        asked.append(more)
        return ranking[:more], min(more, len(ranking))

    fresh, _ = _without_stale(ranking[:3], 3, frozenset({1, 2}), want=3, asked=3,
                              search=search)
    assert [chunk_id for chunk_id, _ in fresh] == [3, 4, 5] and asked == [5]
    asked.clear()
    fresh, _ = _without_stale(ranking[:3], 3, frozenset({1, 2, 3, 4, 5, 6, 7}), want=3,
                              asked=3, search=search)
    assert fresh == [] and asked == [6, 12]  # stops once tantivy has no more to give


def test_a_first_search_builds_its_index_on_the_requests_own_connection(
        tmp_path: Path, postgres_url: str) -> None:
    """A small workspace is indexed by its first search, reading through the search's own
    connection: on a pool of one, a second connection would wait out the pool's timeout
    (and a pool of N would deadlock under N first searches at once)."""
    writer = _runtime(tmp_path / "wide", postgres_url)
    narrow = build_runtime(test_settings(tmp_path / "narrow", postgres_url,
                                         keyword_engine="tantivy", worker_threads=0,
                                         db_pool_size=1, db_max_overflow=0,
                                         db_pool_timeout=2))
    try:
        ws = workspace(writer, "narrow")
        with transaction(writer.sessions) as session:
            _add(session, ws, "the dredging permit")
        with transaction(narrow.read_sessions) as session:
            # What a search does first, without starting the indexer thread that would
            # otherwise race it for the build.
            current = narrow.keyword_index._current(session, ws)
            assert current is not None
            shard, changed = current
            assert changed == frozenset()
            assert shard.index.searcher().num_docs == 1
        assert _search(narrow, ws, "dredging") == ["the dredging permit"]
    finally:
        writer.close()
        narrow.close()
