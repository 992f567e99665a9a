"""Keyword search of one workspace, alone and next to a far larger tenant (SQLite).

    .venv/bin/python bench/tenant_keyword_latency.py

Workspace A gets `--a-chunks` chunks; its 200 queries (the latency bench's) are run and
timed. Then workspace B gets `--b-chunks` newer chunks of the same kind of text and A's
queries run again: with one keyword index for every workspace, B's volume changed A's
BM25 statistics and a broad query's "newest N" window, so A's hits and scores moved (or
vanished); with an index per workspace (search/keyword_tables.py) they must be identical.
Reports A's keyword latency in both states, how many of A's queries changed their top 10
(ids or scores) and how many lost every hit. Keyword only: no vectors are built. Results:
bench/results/<name>.json.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time
from typing import Any

import corpus
from casework.accounts.principal import Principal
from casework.collections import service as collections_service
from casework.collections.models import CollectionKind
from casework.core.database import transaction
from casework.documents.models import Document, DocumentStatus
from casework.search import indexing
from casework.search.chunking import Passage
from casework.search.filters import SearchFilters
from casework.search.service import SearchMode, search
from casework.workspaces import service as workspaces_service
from harness import BenchRuntime, temporary_runtime, write_results
from latency_corpus import CHUNKS_PER_DOCUMENT, load_pages, make_queries, natural_questions
from search_latency import Stopwatch, _forget_counts


def add_chunks(bench: BenchRuntime, count: int, passages: Any, serial: int) -> int:
    """`count` chunks in documents of CHUNKS_PER_DOCUMENT, through casework's indexing."""
    for start in range(0, count, CHUNKS_PER_DOCUMENT * 50):
        with transaction(bench.runtime.sessions) as session:
            for _ in range(min(50, (count - start) // CHUNKS_PER_DOCUMENT)):
                serial += 1
                document = Document(
                    workspace_id=bench.workspace_id, collection_id=bench.collection_id,
                    filename=f"doc-{serial:06d}.txt", media_type="text/plain", size_bytes=1,
                    sha256=hashlib.sha256(str(serial).encode()).hexdigest(),
                    status=DocumentStatus.ready, title=f"Document {serial}")
                session.add(document)
                session.flush()
                indexing.write_chunks(
                    session=session, workspace_id=bench.workspace_id, document_id=document.id,
                    passages=(Passage(1, i, 0, len(text), text) for i, text in
                              zip(range(CHUNKS_PER_DOCUMENT), passages, strict=False)))
    bench.runtime.planner_statistics.refresh()
    return serial


def run_queries(bench: BenchRuntime, queries: list[str], limit: int
                ) -> tuple[dict[str, float], list[list[tuple[str, float]]]]:
    watch = Stopwatch()
    results = []
    for query in queries:
        _forget_counts(bench)
        with transaction(bench.runtime.read_sessions) as session:
            result = watch.time(lambda q=query, s=session: search(
                session=s, runtime=bench.runtime, workspace_id=bench.workspace_id, text=q,
                mode=SearchMode.keyword, filters=SearchFilters(), limit=limit, offset=0))
        results.append([(f"{h.document_id}:{h.start_char}", round(h.score, 9))
                        for h in result.hits])
    return watch.summary(), results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a-chunks", type=int, default=10_000)
    parser.add_argument("--b-chunks", type=int, default=90_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--name", default="tenant_keyword_latency")
    args = parser.parse_args()
    pages, source = load_pages()
    sentences = [sentence for page in pages for sentence in page]
    questions = natural_questions()
    keyword_style = make_queries(sentences, args.queries - min(len(questions), args.queries // 4))
    queries = keyword_style + questions[:args.queries - len(keyword_style)]
    random.Random(5).shuffle(queries)
    passages = corpus.iter_passages(pages, seed=17)
    with temporary_runtime(worker_threads=0, semantic_search=False) as a:
        with transaction(a.runtime.sessions) as session:
            b_workspace = workspaces_service.create_workspace(session=session, name="tenant b")
            b_collection = collections_service.create_collection(
                session=session, principal=Principal.command(b_workspace.id, "bench"),
                name="bulk",
                kind=CollectionKind.case)
            b = BenchRuntime(a.runtime, b_workspace.id, b_collection.id, a.data_dir)
        started = time.perf_counter()
        serial = add_chunks(a, args.a_chunks, passages, 0)
        print(f"A: {args.a_chunks} chunks in {time.perf_counter() - started:.1f} s", flush=True)
        run_queries(a, queries[:20], args.limit)  # warm caches; not counted
        alone, before = run_queries(a, queries, args.limit)
        print(f"  A alone:         {alone}", flush=True)
        started = time.perf_counter()
        add_chunks(b, args.b_chunks, passages, serial)
        print(f"B: {args.b_chunks} newer chunks in {time.perf_counter() - started:.1f} s",
              flush=True)
        run_queries(a, queries[:20], args.limit)
        beside, after = run_queries(a, queries, args.limit)
        print(f"  A beside B:      {beside}", flush=True)
    changed = sum(x != y for x, y in zip(before, after, strict=True))
    emptied = sum(bool(x) and not y for x, y in zip(before, after, strict=True))
    print(f"  A's queries whose top {args.limit} changed: {changed} of {len(queries)}; "
          f"lost every hit: {emptied}", flush=True)
    out = write_results(args.name, {
        "text_source": source, "queries": len(queries), "limit": args.limit,
        "a_chunks": args.a_chunks, "b_chunks": args.b_chunks,
        "a_keyword_alone": alone, "a_keyword_beside_b": beside,
        "a_queries_top_changed_by_b": changed, "a_queries_emptied_by_b": emptied})
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
