"""Ingest throughput of each keyword engine: chunks written until keyword-searchable.

    PYTHONPATH=src .venv/bin/python bench/keyword_ingest.py --chunks 100000

The keyword side of ingest only (no vectors): documents of 100 chunks of
bench/search_latency.py's text, 50 documents a transaction, written through
casework.search.indexing.write_chunks as the pipeline writes them. FTS5 indexes in the
same transaction (triggers); tantivy also writes a change-log row per chunk there and its
indexer thread (as a server runs it) replays the log meanwhile, so the clock stops when the
index has applied every change: the time until the last chunk is searchable in tantivy.
Also the process's peak RSS and, for tantivy, its index on disk. Results:
bench/results/<name>.json.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from typing import Any

from sqlalchemy import func, select

import corpus
from casework.core.database import transaction
from casework.documents.models import Document, DocumentStatus, EmbeddingStatus
from casework.search import indexing, keyword_log
from casework.search.chunking import Passage
from casework.search.models import Chunk
from harness import MemoryWatch, mib, rss_bytes, temporary_runtime, write_results
from latency_corpus import CHUNKS_PER_DOCUMENT, DOCUMENTS_PER_TRANSACTION, load_pages


def write(bench: Any, target: int, passages: Any) -> float:
    """Seconds to write `target` chunks (and their keyword index or log rows)."""
    runtime = bench.runtime
    started = time.perf_counter()
    serial = 0
    have = 0
    while have < target:
        with transaction(runtime.sessions) as session:
            for _ in range(DOCUMENTS_PER_TRANSACTION):
                serial += 1
                document = Document(
                    workspace_id=bench.workspace_id, collection_id=bench.collection_id,
                    filename=f"doc-{serial:05d}.txt", media_type="text/plain", size_bytes=1,
                    sha256=hashlib.sha256(str(serial).encode()).hexdigest(),
                    status=DocumentStatus.ready, embedding_status=EmbeddingStatus.ready)
                session.add(document)
                session.flush()
                have += indexing.write_chunks(
                    session=session, workspace_id=bench.workspace_id, document_id=document.id,
                    passages=(Passage(1, i, 0, len(text), text) for i, text in zip(
                        range(CHUNKS_PER_DOCUMENT), passages, strict=False)))
    return time.perf_counter() - started


def caught_up(bench: Any) -> bool:
    with transaction(bench.runtime.read_sessions) as session:
        newest = keyword_log.newest(session, bench.workspace_id)
    applied = bench.runtime.keyword_index.applied(bench.workspace_id)
    return newest == 0 or (applied is not None and applied >= newest)


def run(engine: str, chunks: int, pages: list[list[str]]) -> dict[str, Any]:
    passages = corpus.iter_passages(pages, seed=17)
    with temporary_runtime(worker_threads=0, keyword_engine=engine,
                           semantic_search=False) as bench, MemoryWatch() as memory:
        memory.enter("ingest")
        rss_before = rss_bytes()
        bench.runtime.keyword_index.start()  # tantivy's indexer thread; FTS5: nothing
        cpu = time.process_time()
        started = time.perf_counter()
        writing = write(bench, chunks, passages)
        if engine == "tantivy":
            while not caught_up(bench):
                time.sleep(0.05)
        total = time.perf_counter() - started
        cpu = time.process_time() - cpu
        with transaction(bench.runtime.read_sessions) as session:
            written = session.scalar(select(func.count()).select_from(Chunk))
        figures: dict[str, Any] = {
            "chunks": written, "write_seconds": round(writing, 2),
            "searchable_after_seconds": round(total, 2),
            "chunks_per_second": round(written / total, 1),
            "process_cpu_seconds": round(cpu, 2),
            "rss_before_mib": mib(rss_before),
            "rss_peak_mib": mib(memory.peaks.get("ingest", 0)),
        }
        directory = bench.data_dir / "index" / "keyword" / bench.workspace_id
        if directory.exists():
            figures["tantivy_index_mib"] = mib(sum(
                p.stat().st_size for p in directory.rglob("*") if p.is_file()))
        figures["load_average_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    print(f"{engine}: {figures}", flush=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--name", default="keyword_ingest")
    args = parser.parse_args(argv)
    pages, source = load_pages()
    results = {engine: run(engine, args.chunks, pages) for engine in ("fts5", "tantivy")}
    out = write_results(args.name, {
        "method": "chunks written as the pipeline writes them (no vectors), one writer; "
                  "tantivy's indexer thread replays the change log meanwhile and the clock "
                  "stops when it has applied every change",
        "text_source": source, "engines": results})
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
