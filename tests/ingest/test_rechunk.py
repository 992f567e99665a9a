"""Documents cut by the old character chunker are re-cut by tokens in the background.

An installation upgraded from character chunks has passages whose tail the model never
read. At start a `rechunk_document` job is queued per such document; it swaps the chunks
in one transaction, so search keeps answering from the old chunks until then, and a crash
part-way leaves the rest queued, never queued twice.
"""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from casework.app import create_app
from casework.core.database import transaction
from casework.documents.models import Document, DocumentPage
from casework.ingest import rechunk
from casework.jobs.handlers import JobContext
from casework.notes.models import Note
from casework.search import indexing
from casework.search.chunking import CHUNKER_VERSION, Passage
from casework.search.model_tokenizer import MODEL_WINDOW_TOKENS, load_tokenizer
from casework.search.models import Chunk
from tests.conftest import create_collection, ingest, login, test_settings
from tests.fixtures.server import ServerProcess


def _manual(name: str, registers: int = 120) -> tuple[str, bytes]:
    """A text dense in tokens: 1,000 characters of it are far more than 256 word pieces."""
    lines = [f"{name} register map"]
    lines += [f"0x{i * 4:04X} CTRL_{i:03d} reset=0x{i * 2654435761 % 2**32:08X} "
              f"mode={i % 3} irq={i % 5} {name}_{i}" for i in range(registers)]
    lines.append(f"End of the {name} map: the {name}zeppelin checksum follows.")
    return f"{name}.txt", "\n".join(lines).encode()


def _start(settings, embedder=None) -> TestClient:
    client = TestClient(create_app(settings, embedder=embedder), raise_server_exceptions=False)
    client.__enter__()
    token = login(client, settings.admin_email,
                  settings.admin_password.get_secret_value())["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def _cut_by_characters(client: TestClient, document_id: str) -> None:
    """Put the document back as the character chunker (version 1) left it: 1,000
    characters a passage, whatever the model could read of them."""
    runtime = client.app.state.runtime
    with transaction(runtime.sessions) as session:
        document = session.get(Document, document_id)
        text = session.scalar(select(DocumentPage.text).where(
            DocumentPage.document_id == document_id, DocumentPage.number == 1))
        indexing.remove_chunks(session=session, runtime=runtime,
                               workspace_id=document.workspace_id, document_id=document_id)
        indexing.write_chunks(
            session=session, workspace_id=document.workspace_id, document_id=document_id,
            passages=[Passage(1, n, start, min(start + 1000, len(text)),
                              text[start:start + 1000])
                      for n, start in enumerate(range(0, len(text), 1000))])
        session.execute(update(Document).where(Document.id == document_id)
                        .values(chunker_version=1))


def _note_cut_by_characters(client: TestClient, note_id: str) -> None:
    runtime = client.app.state.runtime
    with transaction(runtime.sessions) as session:
        note = session.get(Note, note_id)
        text = f"{note.title}\n\n{note.body}"
        indexing.remove_chunks(session=session, runtime=runtime,
                               workspace_id=note.workspace_id, note_id=note_id)
        indexing.write_chunks(
            session=session, workspace_id=note.workspace_id, note_id=note_id,
            passages=[Passage(1, n, start, min(start + 1000, len(text)),
                              text[start:start + 1000])
                      for n, start in enumerate(range(0, len(text), 1000))])
        session.execute(update(Note).where(Note.id == note_id).values(
            chunker_version=1, updated_at=Note.updated_at))


def _note_chunks(client: TestClient, note_id: str) -> list[Chunk]:
    with client.app.state.runtime.sessions() as session:
        return list(session.scalars(select(Chunk).where(Chunk.note_id == note_id)))


def _chunks(client: TestClient, document_id: str) -> list[Chunk]:
    with client.app.state.runtime.sessions() as session:
        return list(session.scalars(select(Chunk).where(Chunk.document_id == document_id)
                                    .order_by(Chunk.ordinal)))


def _version(client: TestClient, document_id: str) -> int:
    with client.app.state.runtime.sessions() as session:
        return session.get(Document, document_id).chunker_version


def _rechunk_jobs(client: TestClient) -> list[dict]:
    jobs = client.get("/api/v1/jobs", params={"limit": 100}).json()
    return [j for j in jobs if j["kind"] in (rechunk.RECHUNK_DOCUMENT, rechunk.RECHUNK_NOTE)]


def _window_tokens(text: str) -> int:
    return len(load_tokenizer("all-MiniLM-L6-v2").encode(text).ids)


def _wait_rechunked(client: TestClient, ids: list[str]) -> None:
    deadline = time.monotonic() + 60
    while any(_version(client, i) != CHUNKER_VERSION for i in ids) or any(
            j["status"] != "succeeded" for j in _rechunk_jobs(client)):
        assert time.monotonic() < deadline, "documents were never re-chunked"
        time.sleep(0.05)


def _wait(predicate, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, message
        time.sleep(0.2)


def _hits(client: TestClient, word: str) -> list[dict]:
    return client.get("/api/v1/search", params={"q": word, "mode": "keyword"}).json()["hits"]


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
def test_character_chunks_are_recut_by_tokens_after_an_upgrade(tmp_path, database_url):
    settings = test_settings(tmp_path / "data", database_url)
    first = _start(settings)
    collection = create_collection(first)
    [doc] = ingest(first, collection["id"], _manual("pump"))
    _cut_by_characters(first, doc["id"])
    note = first.post("/api/v1/notes", json={
        "title": "Pump log", "body": _manual("impeller")[1].decode(),
        "collection_id": collection["id"]}).json()
    _note_cut_by_characters(first, note["id"])
    old = _chunks(first, doc["id"])
    assert max(_window_tokens(c.text) for c in old) > MODEL_WINDOW_TOKENS  # the defect
    first.__exit__(None, None, None)

    upgraded = _start(settings)
    try:
        _wait_rechunked(upgraded, [doc["id"]])
        new = _chunks(upgraded, doc["id"])
        assert max(_window_tokens(c.text) for c in new) <= MODEL_WINDOW_TOKENS
        assert [c.ordinal for c in new] == list(range(len(new)))  # each chunk once
        assert len(new) > len(old)
        # the last register, beyond the old first chunk's window, is found and cited exactly
        [hit] = _hits(upgraded, "pumpzeppelin")
        assert hit["document_id"] == doc["id"] and "pumpzeppelin" in hit["snippet"]
        assert sorted(j["status"] for j in _rechunk_jobs(upgraded)) == ["succeeded"] * 2
        note_chunks = _note_chunks(upgraded, note["id"])
        assert max(_window_tokens(c.text) for c in note_chunks) <= MODEL_WINDOW_TOKENS
        assert upgraded.get(f"/api/v1/notes/{note['id']}").json()["updated_at"] == \
            note["updated_at"]  # re-chunking is not an edit
        assert [h["note_id"] for h in _hits(upgraded, "impellerzeppelin")] == [note["id"]]
    finally:
        upgraded.__exit__(None, None, None)

    again = _start(settings)  # nothing left: no job is queued twice
    try:
        assert len(_rechunk_jobs(again)) == 2
    finally:
        again.__exit__(None, None, None)


def test_a_crash_part_way_keeps_old_chunks_searchable_and_resumes(tmp_path, monkeypatch):
    settings = test_settings(tmp_path / "data")
    first = _start(settings)
    collection = create_collection(first)
    docs = ingest(first, collection["id"], _manual("valve"), _manual("gauge"),
                  _manual("relay"))
    ids = [d["id"] for d in docs]
    for document_id in ids:
        _cut_by_characters(first, document_id)
    first.__exit__(None, None, None)

    # Started without workers: the jobs are queued at start, then the process "dies" after
    # re-cutting one document and failing half-way through the next.
    stalled = _start(test_settings(tmp_path / "data", worker_threads=0))
    runtime = stalled.app.state.runtime
    jobs = _rechunk_jobs(stalled)
    with runtime.sessions() as session:
        workspace_id = session.get(Document, ids[0]).workspace_id
    assert sorted(j["status"] for j in jobs) == ["queued"] * 3

    def context(document_id: str) -> JobContext:
        job = next(j for j in jobs if j["payload"]["document_id"] == document_id)
        return JobContext(runtime=runtime, job_id=job["id"], kind=rechunk.RECHUNK_DOCUMENT,
                          payload={"document_id": document_id},
                          workspace_id=workspace_id, attempt=1, max_attempts=5)

    rechunk.rechunk_document(context(ids[0]))
    assert _version(stalled, ids[0]) == CHUNKER_VERSION

    def crash(**_: object) -> int:
        raise RuntimeError("killed while writing chunks")

    with monkeypatch.context() as patched:
        patched.setattr(indexing, "write_chunks", crash)
        with pytest.raises(RuntimeError):
            rechunk.rechunk_document(context(ids[1]))
    assert _version(stalled, ids[1]) == 1  # rolled back: the old chunks are all there
    assert [h["document_id"] for h in _hits(stalled, "gaugezeppelin")] == [ids[1]]
    stalled.__exit__(None, None, None)

    resumed = _start(settings)
    try:
        _wait_rechunked(resumed, ids)
        assert len(_rechunk_jobs(resumed)) == 3  # the queued ones ran; none was added
        for document_id in ids:
            chunks = _chunks(resumed, document_id)
            assert [c.ordinal for c in chunks] == list(range(len(chunks)))
            assert max(_window_tokens(c.text) for c in chunks) <= MODEL_WINDOW_TOKENS
        assert [h["document_id"] for h in _hits(resumed, "gaugezeppelin")] == [ids[1]]
    finally:
        resumed.__exit__(None, None, None)


@pytest.mark.slow
def test_a_server_killed_while_rechunking_resumes_where_it_stopped(tmp_path):
    """SIGKILL part-way: what was swapped stays, the rest runs after restart, no job twice."""
    data_dir = tmp_path / "data"
    settings = test_settings(data_dir)
    first = _start(settings)
    collection = create_collection(first)
    names = [f"unit{n}" for n in range(30)]
    docs = ingest(first, collection["id"], *(_manual(name, registers=600) for name in names))
    ids = [d["id"] for d in docs]
    for document_id in ids:
        _cut_by_characters(first, document_id)
    first.__exit__(None, None, None)

    def rechunked() -> int:
        db = sqlite3.connect(data_dir / "casework.db", timeout=30)
        try:
            return db.execute("select count(*) from document where chunker_version = ?",
                              (CHUNKER_VERSION,)).fetchone()[0]
        finally:
            db.close()

    env = {"WORKER_THREADS": "1", "SEMANTIC_SEARCH": "false", "JOB_LEASE_SECONDS": "2",
           "JOB_POLL_SECONDS": "0.1"}
    server = ServerProcess(data_dir, **env)
    killed = threading.Event()

    def kill_after_the_first() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not rechunked():
            time.sleep(0.01)
        if server.process is not None:  # SIGKILL: no shutdown code runs, as in a crash
            server.process.send_signal(signal.SIGKILL)
            killed.set()

    killer = threading.Thread(target=kill_after_the_first)
    killer.start()
    with contextlib.suppress(RuntimeError, httpx.HTTPError):
        server.start()  # may die before it answers: the kill is the point
    killer.join()
    server.kill()  # reaps it
    assert killed.is_set()
    done = rechunked()
    assert 0 < done < len(ids), f"the kill should land part-way ({done} done)"

    server = ServerProcess(data_dir, **env)
    client = server.start()
    try:
        _wait(lambda: rechunked() == len(ids), 120, "re-chunking never finished")
        jobs = [j for j in client.get("/api/v1/jobs", params={"limit": 200}).json()
                if j["kind"] == rechunk.RECHUNK_DOCUMENT]
        assert len(jobs) == len(ids)  # queued once; the killed one ran again
        db = sqlite3.connect(data_dir / "casework.db")
        try:
            for document_id in ids:
                ordinals = [row[0] for row in db.execute(
                    "select ordinal from chunk where document_id = ? order by ordinal",
                    (document_id,))]
                assert ordinals == list(range(len(ordinals)))  # every chunk once
        finally:
            db.close()
        hits = client.get("/api/v1/search", params={"q": "unit29zeppelin"}).json()["hits"]
        assert [h["document_id"] for h in hits] == [ids[-1]]
    finally:
        server.stop()
