"""Keyword engines side by side: casework's FTS5 plan, exact FTS5 BM25, and tantivy.

    .venv/bin/pip install -e .                 # tantivy is a casework dependency now
    apt-get install -y python3.11-doc          # once: the manuals (text and questions)
    .venv/bin/python bench/keyword_engines.py

Why: keyword search p95 is to be under 20 ms at 100,000 chunks, and the FTS5 plan
(search/fts5_plan.py) measured p95 34 ms there in bench/search_latency.py (under load).
tantivy is a Rust BM25 engine whose top-k collector can skip blocks of postings that
cannot enter the top k (block-max WAND), so its cost should not grow with the rows an OR
of common words matches. This measures whether it would reach the target, at what
ranking quality, and what keeping a derived index in step with SQLite would cost.

What, at each size of bench/search_latency.py's corpus (the same passages, documents of
100 chunks, the same 200 queries including its natural-language questions):

* latency p50/p95/p99 (wall and CPU) per query, one query at a time, warm, top 10 (a page
  of keyword mode) and top 100 (hybrid's candidates): casework's Fts5Planner, the exact
  FTS5 OR statement, and tantivy three ways: the workspace as a required term; no
  workspace clause (one index per workspace: a pure OR of terms, block-max WAND's case);
  and that again with tantivy-py's default `count=True`, which also counts every match
  (on this corpus it costs nothing measurable: scoring every match is cheap here);
* top-10 overlap of each with exact FTS5 BM25 (the share of exact's top 10 returned);
* tantivy's build time, size on disk and this process's RSS growth, next to FTS5's size;
* what an integration pays to stay in step: 1,000 chunks added then commit + reader
  reload, one document's 100 chunks and 1,000 chunks deleted by chunk id; SQLite's
  own insert of 1,000 chunks (FTS5 triggers) for comparison.

Then retrieval quality on bench/quality.py's question set: the Python manuals ingested
keyword-only through the real pipeline (as bench/scaleout_quality.py does), each question
ranked by FTS5 (casework's search, and the exact statement) and by tantivy over the same
chunks, collapsed to pages and scored with quality.score (recall@5, MRR@10, nDCG@10).

Both engines are BM25 with k1 = 1.2 and b = 0.75, but they are not the same function:
FTS5's IDF is log((N - n + 0.5) / (n + 0.5)) floored at 1e-6 (so a word in more than half
of the rows weighs nothing), tantivy's is log(1 + (N - n + 0.5) / (n + 0.5)); FTS5 stems
with the original Porter algorithm and folds diacritics, tantivy's `en_stem` with Snowball
English (Porter2) and does not fold; tantivy stores field lengths in one byte (coarse for
long fields). Overlap below 1.0 is expected; the quality figures say whether it matters.

Results: bench/results/keyword_engines.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

import corpus
from casework.core.database import transaction
from casework.documents.models import Document, DocumentStatus, EmbeddingStatus
from casework.search import indexing
from casework.search.chunking import Passage
from casework.search.filters import SearchFilters
from casework.search.fts5_plan import Fts5Planner
from casework.search.keyword_tables import keyword_table
from casework.search.models import Chunk
from casework.search.query import ParsedQuery, parse_query, to_fts5
from harness import BenchRuntime, mib, percentile, rss_bytes, write_results
from latency_corpus import (
    CHUNKS_PER_DOCUMENT,
    DOCUMENTS_PER_TRANSACTION,
    load_pages,
    make_queries,
    natural_questions,
)
from quality import DOCS_ROOT, corpus_pages, load_questions, ranked_pages, score
from scaleout_common import bench_runtime
from scaleout_quality import METRICS, evaluate, ingest
from search_latency import KEYWORD_WHAT_IFS, Stopwatch
from tantivy_engine import (
    INSTALL,
    PREFIX_EXPANSIONS,
    TANTIVY_VERSION,
    WRITER_HEAP_BYTES,
    WRITER_THREADS,
    TantivyKeywordIndex,
    build_tantivy,
    installed_version,
    query_analyzer,
    tantivy,
)

EXACT_SQL = KEYWORD_WHAT_IFS["exact OR (shipped until 2026-11-25)"]
UPDATE_ROUNDS = 5


# --- the latency corpus --------------------------------------------------------------------

def grow_chunks(bench: BenchRuntime, *, target: int, passages: Iterator[str]) -> float:
    """latency_corpus.grow_corpus without the vectors: the same documents and chunks.

    Same passage stream, documents of CHUNKS_PER_DOCUMENT chunks written through
    indexing.write_chunks (FTS5 triggers index them as ingest does), the same batching.
    """
    runtime = bench.runtime
    with transaction(runtime.read_sessions) as session:
        have = session.scalar(select(func.count()).select_from(Chunk)) or 0
    serial = have // CHUNKS_PER_DOCUMENT
    started = time.perf_counter()
    while have < target:
        with transaction(runtime.sessions) as session:
            added = 0
            for _ in range(DOCUMENTS_PER_TRANSACTION):
                if have + added >= target:
                    break
                serial += 1
                add_document(session, bench, serial, passages)
                added += CHUNKS_PER_DOCUMENT
        have += added
        print(f"  … {have} chunks", flush=True, end="\r")
    print()
    return time.perf_counter() - started


def add_document(session: Session, bench: BenchRuntime, serial: int,
                 passages: Iterator[str]) -> str:
    document = Document(
        workspace_id=bench.workspace_id, collection_id=bench.collection_id,
        filename=f"doc-{serial:05d}.pdf", media_type="application/pdf", size_bytes=1,
        sha256=hashlib.sha256(str(serial).encode()).hexdigest(),
        status=DocumentStatus.ready, embedding_status=EmbeddingStatus.ready,
        page_count=CHUNKS_PER_DOCUMENT // 4, title=f"Document {serial}")
    session.add(document)
    session.flush()
    indexing.write_chunks(
        session=session, workspace_id=bench.workspace_id, document_id=document.id,
        passages=(Passage(1 + i // 4, i % 4, 0, len(body), body)
                  for i, body in zip(range(CHUNKS_PER_DOCUMENT), passages, strict=False)))
    return document.id


def latency_queries(count: int) -> tuple[list[str], int, str, list[list[str]]]:
    """search_latency.main's query mix: 3 in 4 keyword-style, 1 in 4 natural questions."""
    pages, source = load_pages()
    sentences = [sentence for page in pages for sentence in page]
    questions = natural_questions()
    keyword_style = make_queries(sentences, count - min(len(questions), count // 4))
    queries = keyword_style + questions[:count - len(keyword_style)]
    random.Random(5).shuffle(queries)
    return queries, len(queries) - len(keyword_style), source, pages


def chunk_rows(session: Session) -> list[tuple[int, str, str]]:
    return [(row[0], row[1], row[2]) for row in session.execute(
        select(Chunk.id, Chunk.workspace_id, Chunk.text).order_by(Chunk.id))]


def fts5_bytes(session: Session) -> dict[str, float]:
    """The FTS5 index's pages (chunk_fts_*) and the whole database, from dbstat."""
    rows = dict(session.execute(text(
        "SELECT name, sum(pgsize) FROM dbstat GROUP BY name")).all())
    index = sum(size for name, size in rows.items() if name.startswith("chunk_fts"))
    return {"fts5_index_mib": mib(index), "database_mib": mib(sum(rows.values()))}


# --- timing ------------------------------------------------------------------------------------

@dataclass
class Engines:
    bench: BenchRuntime
    planner: Fts5Planner
    tantivy: TantivyKeywordIndex

    def plan(self, session: Session, parsed: ParsedQuery, limit: int) -> list[int]:
        self.planner.forget_counts()  # as search_latency times it: counts from cold
        return [i for i, _ in self.planner.search(
            session, workspace_id=self.bench.workspace_id, query=parsed,
            filters=SearchFilters(), limit=limit)]

    def exact(self, session: Session, parsed: ParsedQuery, limit: int) -> list[int]:
        fts = keyword_table(self.bench.workspace_id)
        return [row[0] for row in session.execute(text(EXACT_SQL.format(fts=fts)), {
            "m": to_fts5(parsed), "w": self.bench.workspace_id, "k": limit})]

    def tantivy_filtered(self, parsed: ParsedQuery, limit: int) -> list[int]:
        return [i for i, _ in self.tantivy.search(
            parsed, workspace_id=self.bench.workspace_id, limit=limit)]

    def tantivy_unfiltered(self, parsed: ParsedQuery, limit: int) -> list[int]:
        return [i for i, _ in self.tantivy.search(parsed, workspace_id=None, limit=limit)]

    def tantivy_counting(self, parsed: ParsedQuery, limit: int) -> list[int]:
        return [i for i, _ in self.tantivy.search(
            parsed, workspace_id=None, limit=limit, count=True)]


ENGINE_LABELS = {
    "fts5_plan": "casework Fts5Planner (shipped)",
    "fts5_exact": "FTS5 exact OR + bm25()",
    "tantivy": "tantivy, workspace term required",
    "tantivy_no_workspace_clause": "tantivy, no workspace clause (index per workspace)",
    "tantivy_no_workspace_clause_count_true":
        "tantivy, no workspace clause, count=True (tantivy-py's default)",
}


def _overlap(reference: list[int], other: list[int]) -> float | None:
    return len(set(reference) & set(other)) / len(reference) if reference else None


def _mean_overlap(values: list[float | None]) -> dict[str, float]:
    kept = [v for v in values if v is not None]
    return {"mean": round(sum(kept) / len(kept), 3),
            "share_of_queries_identical": round(sum(v == 1.0 for v in kept) / len(kept), 3),
            "queries": len(kept)}


def time_engines(engines: Engines, queries: list[str], limits: tuple[int, ...]
                 ) -> dict[str, Any]:
    """Every engine on every query in turn (a burst of load elsewhere hits them all)."""
    parsed_queries = [parse_query(q) for q in queries]
    read = engines.bench.runtime.read_sessions

    def run(name: str, session: Session, parsed: ParsedQuery, limit: int) -> list[int]:
        if name == "fts5_plan":
            return engines.plan(session, parsed, limit)
        if name == "fts5_exact":
            return engines.exact(session, parsed, limit)
        if name == "tantivy":
            return engines.tantivy_filtered(parsed, limit)
        if name == "tantivy_no_workspace_clause":
            return engines.tantivy_unfiltered(parsed, limit)
        return engines.tantivy_counting(parsed, limit)

    for parsed in parsed_queries[:20]:  # warm caches; not counted
        with transaction(read) as session:
            for name in ENGINE_LABELS:
                run(name, session, parsed, limits[0])
    watches = {(name, limit): Stopwatch() for name in ENGINE_LABELS for limit in limits}
    overlaps: dict[str, list[float | None]] = {}
    filter_agrees = 0
    names = list(ENGINE_LABELS)
    for index, parsed in enumerate(parsed_queries):
        order = names[index % len(names):] + names[:index % len(names)]  # no engine first
        with transaction(read) as session:
            tops: dict[tuple[str, int], list[int]] = {}
            for limit in limits:
                for name in order:
                    tops[name, limit] = watches[name, limit].time(
                        lambda n=name, s=session, p=parsed, k=limit: run(n, s, p, k))
        for limit in limits:
            exact = tops["fts5_exact", limit]
            for name in ("fts5_plan", "tantivy"):
                overlaps.setdefault(f"{name}_top{limit}_vs_fts5_exact", []).append(
                    _overlap(exact, tops[name, limit]))
        overlaps.setdefault("tantivy_top10_vs_fts5_plan", []).append(
            _overlap(tops["fts5_plan", limits[0]], tops["tantivy", limits[0]]))
        filter_agrees += tops["tantivy", limits[0]] == tops[
            "tantivy_no_workspace_clause", limits[0]]
    latency: dict[str, Any] = {}
    for limit in limits:
        latency[f"top{limit}"] = {}
        print(f"  top {limit}:")
        for name, label in ENGINE_LABELS.items():
            figures = watches[name, limit].summary()
            latency[f"top{limit}"][name] = figures
            print(f"    {label:<64} p50 {figures['p50_ms']:7.2f}  p95 {figures['p95_ms']:7.2f}"
                  f"  p99 {figures['p99_ms']:7.2f} ms  (CPU p95 {figures['cpu_p95_ms']:6.2f})",
                  flush=True)
    overlap = {label: _mean_overlap(values) for label, values in overlaps.items()}
    for label, figures in overlap.items():
        print(f"  overlap {label:<34} {figures}")
    return {"latency_ms": latency, "overlap": overlap,
            "tantivy_same_top10_with_and_without_workspace_clause": round(
                filter_agrees / len(parsed_queries), 3)}


def match_counts(engines: Engines, queries: list[str]) -> dict[str, Any]:
    """Rows matching each query in either engine: how far the tokenisers differ."""
    fts5, ratios = [], []
    searcher = engines.tantivy.index.searcher()
    with transaction(engines.bench.runtime.read_sessions) as session:
        for query in queries:
            parsed = parse_query(query)
            fts = keyword_table(engines.bench.workspace_id)
            found = session.execute(text(
                f"SELECT count(*) FROM {fts} WHERE {fts} MATCH :m"),
                {"m": to_fts5(parsed)}).scalar_one()
            tantivy_query = engines.tantivy.query(searcher, parsed, None)
            other = searcher.search(tantivy_query, 1, count=True).count if tantivy_query else 0
            fts5.append(found)
            if found:
                ratios.append(other / found)
    return {"fts5_p50": percentile(fts5, 50), "fts5_p95": percentile(fts5, 95),
            "tantivy_over_fts5_median": round(percentile(ratios, 50), 3),
            "tantivy_over_fts5_min": round(min(ratios), 3),
            "tantivy_over_fts5_max": round(max(ratios), 3)}


# --- keeping a derived index in step ---------------------------------------------------------

def _summary(values: list[float]) -> dict[str, float]:
    return {"median_ms": round(percentile(values, 50), 1), "max_ms": round(max(values), 1),
            "rounds": len(values)}


def time_updates(engine: TantivyKeywordIndex, workspace_id: str, passages: Iterator[str],
                 first_id: int) -> dict[str, Any]:
    """Adds and deletes on the built index, each committed and made visible (reload)."""
    writer = engine.writer()
    phases: dict[str, list[float]] = {}

    def commit_and_reload(label: str) -> None:
        started = time.perf_counter()
        writer.commit()
        committed = time.perf_counter()
        engine.index.reload()
        reloaded = time.perf_counter()
        phases.setdefault(f"{label}_commit", []).append((committed - started) * 1000)
        phases.setdefault(f"{label}_reload", []).append((reloaded - committed) * 1000)
        phases.setdefault(f"{label}_total", []).append((reloaded - started) * 1000)

    next_id = first_id
    batches: list[list[int]] = []
    for _ in range(UPDATE_ROUNDS):
        before = engine.index.searcher().num_docs
        ids = list(range(next_id, next_id + 1000))
        next_id += 1000
        bodies = [next(passages) for _ in ids]
        started = time.perf_counter()
        for chunk_id, body in zip(ids, bodies, strict=True):
            writer.add_document(engine.document(chunk_id, workspace_id, body))
        phases.setdefault("add_1000_add_documents", []).append(
            (time.perf_counter() - started) * 1000)
        commit_and_reload("add_1000")
        assert engine.index.searcher().num_docs == before + 1000, "added chunks not visible"
        batches.append(ids)
    for ids in batches[:UPDATE_ROUNDS - 1]:
        before = engine.index.searcher().num_docs
        started = time.perf_counter()
        writer.delete_documents_by_query(engine.delete_query(ids[:100]))
        phases.setdefault("delete_100_queue", []).append((time.perf_counter() - started) * 1000)
        commit_and_reload("delete_100")
        assert engine.index.searcher().num_docs == before - 100, "deleted chunks still there"
    before = engine.index.searcher().num_docs
    writer.delete_documents_by_query(engine.delete_query(batches[-1]))
    commit_and_reload("delete_1000")
    assert engine.index.searcher().num_docs == before - 1000, "deleted chunks still there"
    started = time.perf_counter()
    writer.wait_merging_threads()
    merge_wait = (time.perf_counter() - started) * 1000
    engine.index.reload()
    searcher = engine.index.searcher()
    results: dict[str, Any] = {label: _summary(values) for label, values in phases.items()}
    results["final_merge_wait_ms"] = round(merge_wait, 1)
    results["segments_after"] = searcher.num_segments
    results["documents_after"] = searcher.num_docs
    return results


def time_reopen(path: Path, queries: list[str], workspace_id: str) -> dict[str, Any]:
    """A restarted reader: Index.open, the first query, then every query once.

    The files are in the page cache (just written), so this is a warm restart; RSS grows
    by what the reader maps and touches (the files are mmapped), not by a writer heap.
    """
    rss_before = rss_bytes()
    started = time.perf_counter()
    engine = TantivyKeywordIndex.__new__(TantivyKeywordIndex)
    engine.index = tantivy.Index.open(str(path))
    engine.schema = engine.index.schema
    engine.path = path
    engine.analyzer = query_analyzer()
    opened = time.perf_counter()
    engine.search(parse_query(queries[0]), workspace_id=workspace_id, limit=10)
    first = time.perf_counter()
    for query in queries:
        engine.search(parse_query(query), workspace_id=workspace_id, limit=100)
    return {"open_ms": round((opened - started) * 1000, 1),
            "first_query_ms": round((first - opened) * 1000, 1),
            "rss_growth_after_open_and_all_queries_mib": mib(rss_bytes() - rss_before)}


def time_sqlite_insert(bench: BenchRuntime, passages: Iterator[str]) -> dict[str, Any]:
    """1,000 chunks (10 documents) in one write transaction, FTS5 triggers included; then
    the same documents' chunks deleted. Removed again, so the corpus is left as it was."""
    runtime = bench.runtime
    inserts, deletes = [], []
    for round_ in range(UPDATE_ROUNDS):
        started = time.perf_counter()
        with transaction(runtime.sessions) as session:
            ids = [add_document(session, bench, 900_000 + round_ * 10 + i, passages)
                   for i in range(10)]
        inserts.append((time.perf_counter() - started) * 1000)
        listed = json.dumps(ids)
        started = time.perf_counter()
        with transaction(runtime.sessions) as session:
            session.execute(text("DELETE FROM chunk WHERE document_id IN "
                                 "(SELECT value FROM json_each(:ids))"), {"ids": listed})
        deletes.append((time.perf_counter() - started) * 1000)
        with transaction(runtime.sessions) as session:
            session.execute(text("DELETE FROM document WHERE id IN "
                                 "(SELECT value FROM json_each(:ids))"), {"ids": listed})
    return {"insert_1000_chunks_and_commit": _summary(inserts),
            "delete_1000_chunks_and_commit": _summary(deletes)}


# --- retrieval quality -------------------------------------------------------------------------

@dataclass
class _Hit:
    document_id: str | None


def quality(scratch: Path) -> dict[str, Any]:
    """bench/quality.py's questions: FTS5 (casework's search; exact) vs tantivy, same chunks."""
    questions = load_questions()
    sources = [(page, DOCS_ROOT / page) for page in corpus_pages()]
    results: dict[str, Any] = {"pages": len(sources), "questions": len(questions),
                               "passages_per_query": 100, "engines": {}}
    with bench_runtime(None, semantic_search=False) as bench:
        print(f"quality: ingesting {len(sources)} pages keyword-only …", flush=True)
        page_of = ingest(bench, sources)
        results["engines"]["fts5_casework_search"] = evaluate(bench, questions, page_of)
        with transaction(bench.runtime.read_sessions) as session:
            rows = chunk_rows(session)
            document_of = dict(session.execute(select(Chunk.id, Chunk.document_id)).all())
        results["chunks"] = len(rows)
        engine, build = build_tantivy(scratch / "quality-tantivy", rows)
        results["tantivy_build"] = build
        planner_free = Engines(bench, Fts5Planner(), engine)

        def ranked(chunk_ids: list[int]) -> list[str]:
            return ranked_pages([_Hit(document_of.get(i)) for i in chunk_ids], page_of)

        for name in ("fts5_exact", "tantivy"):
            per_question, latencies = [], []
            for question in questions:
                parsed = parse_query(question["question"])
                began = time.perf_counter()
                if name == "fts5_exact":
                    with transaction(bench.runtime.read_sessions) as session:
                        ids = planner_free.exact(session, parsed, 100)
                else:
                    ids = planner_free.tantivy_filtered(parsed, 100)
                latencies.append((time.perf_counter() - began) * 1000)
                ranking = ranked(ids)
                per_question.append({"id": question["id"], "top5": ranking[:5],
                                     **score(ranking, set(question["relevant"]))})
            means: dict[str, float] = {
                m: round(sum(q[m] for q in per_question) / len(per_question), 4)
                for m in METRICS}
            means["p50_ms"] = round(percentile(latencies, 50), 1)
            results["engines"][name] = {"mean": means, "questions": per_question}
    for name, figures in results["engines"].items():
        mean = figures["mean"]
        print(f"  {name:<22} recall@5 {mean['recall@5']:.3f}  mrr@10 {mean['mrr@10']:.3f}  "
              f"ndcg@10 {mean['ndcg@10']:.3f}  p50 {mean['p50_ms']} ms", flush=True)
    engines = results["engines"]
    gap = engines["tantivy"]["mean"]["ndcg@10"] - engines["fts5_casework_search"]["mean"][
        "ndcg@10"]
    results["tantivy_minus_fts5_ndcg10_points"] = round(gap * 100, 2)
    results["tantivy_at_parity_within_2_points"] = abs(gap * 100) <= 2
    print(f"  tantivy - FTS5 (casework): {gap * 100:+.2f} nDCG@10 points")
    return results


# --- main --------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="chunk counts to measure at")
    parser.add_argument("--queries", type=int, default=200, help="queries per engine and size")
    parser.add_argument("--no-quality", action="store_true", help="skip the question set")
    parser.add_argument("--name", default="keyword_engines", help="results file name")
    args = parser.parse_args(argv)
    if tantivy is None:
        print(f"tantivy is not installed; install it with:\n    {INSTALL}", file=sys.stderr)
        return 2
    if installed_version() != TANTIVY_VERSION:
        print(f"note: tantivy {installed_version()} installed; this was written against "
              f"{TANTIVY_VERSION} ({INSTALL})", file=sys.stderr)
    if not args.no_quality and not DOCS_ROOT.is_dir():
        print(f"{DOCS_ROOT} is missing: apt-get install -y python3.11-doc (or --no-quality)",
              file=sys.stderr)
        return 2
    sizes = sorted(int(s) for s in args.sizes.split(","))
    queries, natural, source, pages = latency_queries(args.queries)
    print(f"{len(queries)} queries ({natural} natural-language) over {source}")
    passages = corpus.iter_passages(pages, seed=17)  # search_latency's stream
    extra = corpus.iter_passages(pages, seed=31)  # for the update runs only
    limits = (10, 100)
    by_size: dict[str, Any] = {}
    scratch = Path(tempfile.mkdtemp(prefix="casework-bench-tantivy-"))
    try:
        with bench_runtime(None, semantic_search=False) as bench:
            for size in sizes:
                print(f"\n== {size} chunks: building", flush=True)
                sqlite_seconds = grow_chunks(bench, target=size, passages=passages)
                analyzed = bench.runtime.planner_statistics.refresh()
                started = time.perf_counter()
                with transaction(bench.runtime.read_sessions) as session:
                    rows = chunk_rows(session)
                    sizes_on_disk = fts5_bytes(session)
                read_seconds = time.perf_counter() - started
                shutil.rmtree(scratch / "latency-tantivy", ignore_errors=True)
                engine, build = build_tantivy(scratch / "latency-tantivy", rows)
                build["read_chunks_from_sqlite_s"] = round(read_seconds, 2)
                del rows
                print(f"  SQLite chunks + FTS5 {sqlite_seconds:.1f} s (planner statistics "
                      f"{analyzed}); tantivy {build}", flush=True)
                engines = Engines(bench, bench.runtime.keyword_index.planner, engine)
                rss_before = rss_bytes()
                timing = time_engines(engines, queries, limits)
                timing["rss_growth_during_queries_mib"] = mib(rss_bytes() - rss_before)
                matches = match_counts(engines, queries)
                print(f"  rows matching: {matches}", flush=True)
                with transaction(bench.runtime.read_sessions) as session:
                    last_id = session.scalar(select(func.max(Chunk.id))) or 0
                updates = time_updates(engine, bench.workspace_id, extra, last_id + 1)
                print(f"  tantivy updates: {updates}", flush=True)
                reopen = time_reopen(engine.path, queries, bench.workspace_id)
                print(f"  tantivy reopened: {reopen}", flush=True)
                by_size[str(size)] = {
                    "chunks": size, "rows_matching_query": matches,
                    "sqlite_build_s": round(sqlite_seconds, 1), **sizes_on_disk,
                    "tantivy_build": build, **timing, "tantivy_updates": updates,
                    "tantivy_reopen": reopen,
                    "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
                }
                del engines, engine
            sqlite_updates = time_sqlite_insert(bench, extra)
            print(f"  SQLite at {sizes[-1]}: {sqlite_updates}", flush=True)
            by_size[str(sizes[-1])]["sqlite_updates"] = sqlite_updates
        quality_results = None if args.no_quality else quality(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    largest = by_size[str(sizes[-1])]["latency_ms"]["top10"]
    out = write_results(args.name, {
        "method": "search_latency.py's corpus (same passages and queries) in casework's "
                  "SQLite FTS5 and in a tantivy index of the same chunks; each query timed "
                  "alone in this process, warm, every engine in turn; FTS5 plan counts "
                  "forgotten before each query; tantivy time includes building the query, "
                  "the top-k search and reading chunk ids from the fast field",
        "tantivy": {"version": installed_version(), "text_tokenizer": "en_stem",
                    "writer_heap_bytes": WRITER_HEAP_BYTES, "writer_threads": WRITER_THREADS,
                    "prefix_expansions": PREFIX_EXPANSIONS},
        "text_source": source, "queries": len(queries), "queries_natural_language": natural,
        "engines": ENGINE_LABELS, "sizes": by_size, "quality": quality_results,
        "target": {"keyword_p95_ms_at_100k": 20},
        "tantivy_top10_p95_under_20_ms_at_largest": largest["tantivy"]["p95_ms"] < 20,
    })
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
