"""The embedding stage reads a document's texts a page at a time: each distinct text reaches
the model once, a rerun embeds nothing, and a crash part-way loses nothing.

The model here records what it is asked and returns vectors derived from the text: these
tests are about which texts reach the model and what is stored, not about meaning (the
real model is tested in test_semantic.py). Pages are made tiny so a few dozen chunks span
many of them, as a 1 GB file's 1.5 million chunks span many pages of the real size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from casework.bootstrap import build_runtime
from casework.collections.models import Collection
from casework.core.database import transaction
from casework.documents.models import Document
from casework.runtime import Runtime
from casework.search import indexing
from casework.search.boilerplate import repeated_lines
from casework.search.chunking import Passage, load_chunker
from casework.search.models import Chunk, Embedding
from tests.conftest import test_settings
from tests.search.test_fts5_plan import workspace

DIMENSIONS = 8


class RecordingEmbedder:
    """Unit vectors derived from each text's hash; every text asked for is recorded."""

    name = "recording-stand-in"
    dimensions = DIMENSIONS

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.asked: list[str] = []
        self.calls = 0
        self.fail_on_call = fail_on_call

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise RuntimeError("the worker died here")
        self.asked.extend(texts)
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[:DIMENSIONS], np.uint8)
                .astype(np.float32) + 1.0 for t in texts]
        matrix = np.vstack(rows)
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def make_runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator:
    from casework.db.migrate import upgrade

    url = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    built: list[Runtime] = []

    def make(embedder: RecordingEmbedder) -> Runtime:
        runtime = build_runtime(test_settings(tmp_path / "data", url), embedder=embedder)
        upgrade(runtime.engine)
        built.append(runtime)
        return runtime

    yield make
    for runtime in built:
        runtime.close()


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(indexing, "EMBED_READ_PAGE", 4)
    monkeypatch.setattr(indexing, "EMBED_GROUP", 3)


# 30 chunks, 12 distinct texts: repeats within a page and across pages.
TEXTS = [f"passage number {i % 12} about the harbour" for i in range(30)]


def one_document(runtime: Runtime) -> tuple[str, str, list[int]]:
    """A workspace with one document of TEXTS as its chunks, ten to a page."""
    ws = workspace(runtime, "one")
    with transaction(runtime.sessions) as session:
        collection_id = session.scalar(select(Collection.id).where(
            Collection.workspace_id == ws))
        document = Document(workspace_id=ws, collection_id=collection_id, filename="long.txt",
                            media_type="text/plain", size_bytes=1000, sha256="a" * 64)
        session.add(document)
        session.flush()
        indexing.write_chunks(session=session, workspace_id=ws, document_id=document.id,
                              passages=[Passage(1 + i // 10, i, 0, len(t), t)
                                        for i, t in enumerate(TEXTS)])
        document_id = document.id
    with transaction(runtime.read_sessions) as session:
        chunk_ids = list(session.scalars(select(Chunk.id).where(
            Chunk.document_id == document_id).order_by(Chunk.id)))
    return ws, document_id, chunk_ids


def stored_vectors(runtime: Runtime, ws: str) -> int:
    with transaction(runtime.read_sessions) as session:
        return session.scalar(select(func.count()).select_from(Embedding).where(
            Embedding.workspace_id == ws)) or 0


def nearest(runtime: Runtime, ws: str, text: str, k: int) -> set[int]:
    vector = RecordingEmbedder().embed([text])[0]
    return {chunk_id for chunk_id, _ in runtime.vector_index.search(ws, vector, k)}


@pytest.mark.usefixtures("small_pages")
def test_each_distinct_text_reaches_the_model_once_and_every_chunk_is_indexed(
        make_runtime) -> None:
    embedder = RecordingEmbedder()
    runtime = make_runtime(embedder)
    ws, document_id, chunk_ids = one_document(runtime)
    progress: list[float] = []
    assert indexing.embed_chunks(runtime=runtime, workspace_id=ws, document_id=document_id,
                                 progress=progress.append) == 12
    assert sorted(embedder.asked) == sorted(set(TEXTS))
    assert stored_vectors(runtime, ws) == 12
    assert progress == sorted(progress) and progress[-1] == 1.0
    # Every chunk is in the vector index, repeats included: the three chunks holding
    # "passage number 0" are the three nearest to that text.
    same = {i for i, t in zip(chunk_ids, TEXTS, strict=True) if t == TEXTS[0]}
    assert nearest(runtime, ws, TEXTS[0], len(same)) == same
    # A rerun finds nothing left to embed.
    assert indexing.embed_chunks(runtime=runtime, workspace_id=ws,
                                 document_id=document_id) == 0
    assert len(embedder.asked) == 12


@pytest.mark.usefixtures("small_pages")
def test_a_crash_part_way_keeps_what_was_stored_and_the_rerun_does_the_rest(
        make_runtime) -> None:
    crashing = RecordingEmbedder(fail_on_call=3)
    runtime = make_runtime(crashing)
    ws, document_id, _ = one_document(runtime)
    with pytest.raises(RuntimeError, match="died"):
        indexing.embed_chunks(runtime=runtime, workspace_id=ws, document_id=document_id)
    kept = stored_vectors(runtime, ws)
    assert kept == len(crashing.asked) > 0  # the groups before the crash were committed

    rerun = RecordingEmbedder()
    runtime = make_runtime(rerun)
    assert indexing.embed_chunks(runtime=runtime, workspace_id=ws,
                                 document_id=document_id) == 12 - kept
    assert sorted(crashing.asked + rerun.asked) == sorted(set(TEXTS))  # none twice
    assert stored_vectors(runtime, ws) == 12


def test_running_heads_are_searchable_but_the_model_reads_each_page_without_them(
        make_runtime) -> None:
    """A document's repeated page heads and feet are not embedded again with every page:
    the model reads the body; a page of nothing but heads is not embedded at all."""
    embedder = RecordingEmbedder()
    runtime = make_runtime(embedder)
    ws = workspace(runtime, "heads")
    pages = [f"Harbour Authority - Annual Report\nBerth {n} was dredged to {n + 9} metres "
             f"and reopened.\nPage {n}" for n in range(1, 7)] + [
        "Harbour Authority - Annual Report\nPage 7"]
    repeated = repeated_lines(pages)
    chunker = load_chunker("all-MiniLM-L6-v2", 256, 16)
    with transaction(runtime.sessions) as session:
        collection_id = session.scalar(select(Collection.id).where(
            Collection.workspace_id == ws))
        document = Document(workspace_id=ws, collection_id=collection_id,
                            filename="report.pdf", media_type="application/pdf",
                            size_bytes=1000, sha256="b" * 64)
        session.add(document)
        session.flush()
        document_id = document.id
        indexing.write_chunks(
            session=session, workspace_id=ws, document_id=document_id,
            passages=[p for n, text in enumerate(pages, 1)
                      for p in chunker.chunk_page(text, page=n, repeated=repeated)])
    assert indexing.embed_chunks(runtime=runtime, workspace_id=ws,
                                 document_id=document_id) == 6
    assert sorted(embedder.asked) == sorted(
        f"Berth {n} was dredged to {n + 9} metres and reopened." for n in range(1, 7))
    with transaction(runtime.read_sessions) as session:
        texts = list(session.scalars(select(Chunk.text).where(
            Chunk.document_id == document_id).order_by(Chunk.page)))
    assert texts == pages  # what the keyword index and citations see: every page, whole
