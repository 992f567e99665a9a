"""bench/ask_answers.py at scale: pad the manuals' workspace to N chunks, time Ask by stage.

The padding is the search benchmarks' corpus (bench/latency_corpus.py `grow_corpus`):
documents of 100 chunks of the manuals' sentences shuffled, written through
casework.search.indexing so the keyword index holds them as ingest would, each with a
stand-in vector (corpus.StandInVectors) in the `embedding` table and the vector index. They
go into a collection of their own ("padding": Ask scoped to the manuals' collection must
filter them out) or into the manuals' own collection (the scope holds all of them).

The stages of one answer come from the calls the API makes, `ask.service.prepare` (scope
check, hybrid retrieval, the passages' text) and `ask.service.answer_question` (sentence
split, embedding of the candidates with the question, scoring), with the embedder wrapped
to time its calls: in retrieval it embeds the query, in answering the candidate sentences.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select

import corpus
from casework.accounts.principal import Principal
from casework.ask import service as ask_service
from casework.bootstrap import start_workers
from casework.collections import service as collections_service
from casework.collections.models import Collection, CollectionKind
from casework.core.database import transaction
from casework.search.models import Chunk
from harness import BenchRuntime, store_file, wait_for_documents
from latency_corpus import DIMENSIONS, grow_corpus, load_pages

PADDING_COLLECTION = "padding"
PAD_INTO = ("other", "same")


def count_chunks(bench: BenchRuntime) -> int:
    with transaction(bench.runtime.read_sessions) as session:
        return session.scalar(select(func.count()).select_from(Chunk)) or 0


def _padding_collection(bench: BenchRuntime) -> str:
    with transaction(bench.runtime.sessions) as session:
        found = session.scalar(select(Collection).where(
            Collection.workspace_id == bench.workspace_id,
            Collection.name == PADDING_COLLECTION))
        if found is None:
            found = collections_service.create_collection(
                session=session, principal=Principal.command(bench.workspace_id, "bench"),
                name=PADDING_COLLECTION, kind=CollectionKind.case)
        return found.id


def pad_workspace(bench: BenchRuntime, *, target: int, into: str) -> dict[str, Any]:
    """Grow the workspace to `target` chunks; the choice of collection is kept in DATA_DIR,
    so a reopened DATA_DIR is never padded both ways."""
    marker = bench.data_dir / "ask-bench-padding.json"
    if marker.exists() and json.loads(marker.read_text())["into"] != into:
        raise SystemExit(f"{bench.data_dir} was padded into the "
                         f"{json.loads(marker.read_text())['into']} collection: use another "
                         "--data-dir (a copy of the unpadded one)")
    marker.write_text(json.dumps({"into": into, "target": target}))
    collection_id = bench.collection_id if into == "same" else _padding_collection(bench)
    padded = replace(bench, collection_id=collection_id)
    runtime = bench.runtime
    # Open the index (the manuals' vectors) before adding, so the adds do not rebuild it.
    runtime.vector_index.search(bench.workspace_id, np.ones(DIMENSIONS, np.float32), 1)
    started = time.perf_counter()
    pages, source = load_pages()
    seconds = grow_corpus(padded, target=target, passages=corpus.iter_passages(pages, seed=17),
                          vectors=corpus.StandInVectors(23, dimensions=DIMENSIONS), known={},
                          model=runtime.embedder.name)
    runtime.vector_index.flush(force=True)  # type: ignore[call-arg]
    if runtime.planner_statistics is not None:  # as the job runner does after a big job
        runtime.planner_statistics.refresh()
    return {"into": into, "chunks": count_chunks(bench), "text_source": source,
            "seconds": {**seconds, "total": round(time.perf_counter() - started, 1)}}


def ingest_pages(bench: BenchRuntime, files: dict[str, Path], *, timeout: float
                 ) -> dict[str, str]:
    """Ingest `files` (page name -> file) through the real pipeline once: document id ->
    page, read back from DATA_DIR when an earlier run ingested there. A file that is a copy
    of an earlier one is counted as that page (ingest keeps one document per content)."""
    saved = bench.data_dir / "ask-bench-pages.json"
    if saved.exists():
        print(f"reusing the pages ingested in {bench.data_dir}", flush=True)
        return json.loads(saved.read_text())
    started = time.perf_counter()
    page_of: dict[str, str] = {}
    for page, path in files.items():
        document_id, duplicate = store_file(bench, path)
        if duplicate:
            print(f"  {page} is a copy of {page_of[document_id]}: counted as that page")
            continue
        page_of[document_id] = page
    start_workers(bench.runtime)
    progress = wait_for_documents(bench, list(page_of), started=started, timeout=timeout)
    print(f"ingested {len(page_of)} pages in {time.perf_counter() - started:.0f} s", flush=True)
    if progress.failed:
        raise SystemExit(f"documents failed: {progress.failed}")
    if bench.runtime.workers is not None:  # nothing left to run: questions alone
        bench.runtime.workers.stop()
        bench.runtime.workers = None
    saved.write_text(json.dumps(page_of))
    return page_of


@dataclass
class TimedEmbedder:
    """The runtime's embedder, with each call's size and wall time noted."""

    inner: Any
    calls: list[tuple[int, float]] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def embed(self, texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.calls.append((len(texts), (time.perf_counter() - started) * 1000))

    def take(self) -> tuple[float, int]:
        """Milliseconds and texts embedded since the last take."""
        took, texts = sum(c[1] for c in self.calls), sum(c[0] for c in self.calls)
        self.calls.clear()
        return took, texts


def ask_timed(bench: BenchRuntime, text: str, *, collection_id: str | None
              ) -> tuple[ask_service.Answer, ask_service.Prepared, dict[str, float]]:
    """One question as the API asks it, its stages timed (the runtime's embedder must be a
    TimedEmbedder)."""
    runtime = bench.runtime
    clock: TimedEmbedder = runtime.embedder  # type: ignore[assignment]
    clock.take()
    started = time.perf_counter()
    with transaction(runtime.read_sessions) as session:
        prepared = ask_service.prepare(
            session=session, runtime=runtime, workspace_id=bench.workspace_id,
            question=ask_service.Question(text=text, collection_id=collection_id))
    retrieved = time.perf_counter()
    query_embed_ms, _ = clock.take()
    answer = ask_service.answer_question(runtime=runtime, prepared=prepared)
    done = time.perf_counter()
    sentence_embed_ms, texts = clock.take()
    answering = (done - retrieved) * 1000
    return answer, prepared, {
        "took_ms": round((done - started) * 1000, 1),
        "retrieval_ms": round((retrieved - started) * 1000, 1),
        "query_embed_ms": round(query_embed_ms, 1),
        "sentences_ms": round(answering, 1),
        "sentence_embed_ms": round(sentence_embed_ms, 1),
        "split_and_score_ms": round(answering - sentence_embed_ms, 1),
        "sentences_embedded": max(texts - 1, 0)}


STAGES = ("took_ms", "retrieval_ms", "query_embed_ms", "sentences_ms", "sentence_embed_ms",
          "split_and_score_ms")
