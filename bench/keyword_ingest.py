"""Ingest throughput of each keyword engine: chunks written until keyword-searchable.

    PYTHONPATH=src .venv/bin/python bench/keyword_ingest.py --chunks 100000
    PYTHONPATH=src .venv/bin/python bench/keyword_ingest.py --chunks 100000 --postgres

The keyword side of ingest only (no vectors): documents of 100 chunks of
bench/search_latency.py's text, 50 documents a transaction, written through
casework.search.indexing.write_chunks as the pipeline writes them. FTS5 indexes in the
same transaction (triggers); tantivy also writes a change-log row per chunk there and its
indexer thread (as a server runs it) replays the log meanwhile, so the clock stops when the
index has applied every change: the time until the last chunk is searchable in tantivy.

With --postgres (a database made for the run on CASEWORK_BENCH_POSTGRES_URL, default the
local test server) the engines are PostgreSQL's own (`database`: the tsvector is written
with the row) and tantivy beside it (search/tantivy_postgres.py: statement triggers log
each insert, the indexer thread follows the log by transaction horizon); the workspace is
searched once first, as a server's first search would, so its index exists and is followed.
Also the process's peak RSS and, for tantivy, its index on disk. Results:
bench/results/<name>.json.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select, text

import corpus
from casework.core.database import transaction
from casework.documents.models import Document, DocumentStatus, EmbeddingStatus
from casework.search import indexing, keyword_log, keyword_log_pg
from casework.search.chunking import Passage
from casework.search.filters import SearchFilters
from casework.search.models import Chunk
from casework.search.query import parse_query
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


def caught_up(bench: Any, postgres: bool) -> bool:
    """Whether the tantivy index holds every change logged (on PostgreSQL: its watermark,
    a transaction horizon, is past the newest logged transaction)."""
    with transaction(bench.runtime.read_sessions) as session:
        if postgres:  # one past the newest logged transaction
            newest = keyword_log_pg.pending_workspaces(session).get(bench.workspace_id, 0)
        else:
            newest = keyword_log.newest(session, bench.workspace_id)
    applied = bench.runtime.keyword_index.applied(bench.workspace_id)
    return newest == 0 or (applied is not None and applied >= newest)


@contextmanager
def runtime_for(engine: str, postgres: bool) -> Iterator[Any]:
    options = {"worker_threads": 0, "keyword_engine": engine, "semantic_search": False}
    if not postgres:
        with temporary_runtime(**options) as bench:
            yield bench
        return
    from scaleout_common import bench_runtime, postgres_database

    with postgres_database() as url, bench_runtime(url, **options) as bench:
        yield bench


def run(engine: str, chunks: int, pages: list[list[str]], *, postgres: bool = False
        ) -> dict[str, Any]:
    passages = corpus.iter_passages(pages, seed=17)
    with runtime_for(engine, postgres) as bench, MemoryWatch() as memory:
        memory.enter("ingest")
        rss_before = rss_bytes()
        index = bench.runtime.keyword_index
        if postgres and engine == "tantivy":
            with transaction(bench.runtime.read_sessions) as session:  # a server's first
                index.search(session, workspace_id=bench.workspace_id,  # search
                             query=parse_query("first"), filters=SearchFilters(), limit=10)
        index.start()  # tantivy's indexer thread; the database's engines: nothing
        cpu = time.process_time()
        started = time.perf_counter()
        writing = write(bench, chunks, passages)
        if engine == "tantivy":
            while not caught_up(bench, postgres):
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
        if postgres:
            figures["database_mib"] = mib(database_bytes(bench))
        directory = bench.data_dir / "index" / "keyword" / bench.workspace_id
        if directory.exists():
            figures["tantivy_index_mib"] = mib(sum(
                p.stat().st_size for p in directory.rglob("*") if p.is_file()))
        figures["load_average_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    print(f"{engine}: {figures}", flush=True)
    return figures


def database_bytes(bench: Any) -> int:
    """The chunk table with its indexes, and the change log's (PostgreSQL)."""
    with transaction(bench.runtime.read_sessions) as session:
        return int(session.scalar(text(
            "SELECT pg_total_relation_size('chunk') + pg_total_relation_size('keyword_change')")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true",
                        help="PostgreSQL's engine and tantivy beside it, instead of SQLite's")
    parser.add_argument("--name", default=None,
                        help="results file (default keyword_ingest, keyword_ingest_postgres)")
    args = parser.parse_args(argv)
    pages, source = load_pages()
    engines = ("database", "tantivy") if args.postgres else ("fts5", "tantivy")
    results = {engine: run(engine, args.chunks, pages, postgres=args.postgres)
               for engine in engines}
    args.name = args.name or ("keyword_ingest_postgres" if args.postgres else "keyword_ingest")
    out = write_results(args.name, {
        "method": "chunks written as the pipeline writes them (no vectors), one writer; "
                  "tantivy's indexer thread replays the change log meanwhile and the clock "
                  "stops when it has applied every change",
        "text_source": source, "engines": results})
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
