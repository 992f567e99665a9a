"""Search latency p50/p95 per mode at 10k and 100k chunks, one query at a time.

    .venv/bin/python bench/search_latency.py

The corpus is built fast, straight into the tables: documents through the ORM, chunks
through casework.search.indexing.write_chunks (so the FTS5 triggers index them exactly as
ingest does), and for each chunk a RANDOM unit vector in the `embedding` table and the
vector index (drawn near a 12-d subspace, as real embeddings lie; see
corpus.StandInVectors). Random corpus vectors are fine for latency (the ANN walk costs the
same); the query is embedded by the real model, and that cost is part of the semantic and
hybrid latency. Chunk text is sentences sampled from the Python manuals (python3.11-doc),
or generated case-file prose when they are not installed. Results:
bench/results/search_latency.json.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import corpus
from casework.bootstrap import build_runtime
from casework.core.database import transaction
from casework.search.embedder import SentenceTransformerEmbedder
from casework.search.filters import SearchFilters
from casework.search.keyword_tables import keyword_table
from casework.search.query import parse_query, to_fts5
from casework.search.service import SearchMode, search
from harness import (
    BenchRuntime,
    MemoryWatch,
    calibrate_embedder,
    mib,
    peak_rss_bytes,
    percentile,
    rss_bytes,
    temporary_runtime,
    write_results,
)
from latency_corpus import DIMENSIONS, grow_corpus, load_pages, make_queries, natural_questions


class Stopwatch:
    """Wall and CPU milliseconds of each timed call.

    The machine is shared: wall time includes waiting for a core that someone else holds.
    Process CPU time barely does, and for single-threaded work it is what the wall time
    would be on a quiet machine; both are reported.
    """

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def time(self, fn: Any) -> Any:
        wall = time.perf_counter()
        cpu = time.process_time()
        result = fn()
        self.cpu.append((time.process_time() - cpu) * 1000)
        self.wall.append((time.perf_counter() - wall) * 1000)
        return result

    def summary(self) -> dict[str, float]:
        wall, cpu = self.wall, self.cpu
        return {"p50_ms": round(percentile(wall, 50), 2), "p95_ms": round(percentile(wall, 95), 2),
                "p99_ms": round(percentile(wall, 99), 2),
                "mean_ms": round(sum(wall) / len(wall), 2), "max_ms": round(max(wall), 2),
                "cpu_p50_ms": round(percentile(cpu, 50), 2),
                "cpu_p95_ms": round(percentile(cpu, 95), 2), "queries": len(wall)}


def _print(label: str, figures: dict[str, float], note: str = "") -> None:
    print(f"  {label:<22} p50 {figures['p50_ms']:7.2f} ms   p95 {figures['p95_ms']:7.2f} ms"
          f"   (CPU p50 {figures['cpu_p50_ms']:6.2f}, p95 {figures['cpu_p95_ms']:6.2f}){note}",
          flush=True)


def _search(bench: BenchRuntime, query: str, mode: SearchMode, limit: int) -> Any:
    with transaction(bench.runtime.read_sessions) as session:
        return search(session=session, runtime=bench.runtime, workspace_id=bench.workspace_id,
                      text=query, mode=mode, filters=SearchFilters(), limit=limit, offset=0)


MODES = (SearchMode.keyword, SearchMode.semantic, SearchMode.hybrid)


def time_modes(bench: BenchRuntime, queries: list[str], *, limit: int) -> dict[str, Any]:
    """Each query through search() in its own read transaction, as the API runs it.

    The modes take turns query by query, so a burst of load elsewhere hits all of them.
    """
    for mode in MODES:
        for query in queries[:20]:  # warm caches; not counted
            _search(bench, query, mode, limit)
    watches = {mode: Stopwatch() for mode in MODES}
    empty = dict.fromkeys(MODES, 0)
    broad = dict.fromkeys(MODES, 0)  # ranked over their newest passages only (fts5_plan)
    for query in queries:
        for mode in MODES:
            _forget_counts(bench)  # no mode profits from the plan counts of another
            result = watches[mode].time(lambda q=query, m=mode: _search(bench, q, m, limit))
            empty[mode] += not result.hits
            broad[mode] += any("newest" in w for w in result.warnings)
    results: dict[str, Any] = {}
    for mode in MODES:
        results[mode.value] = {**watches[mode].summary(), "queries_without_hits": empty[mode],
                               "queries_ranked_over_newest_only": broad[mode]}
        _print(mode.value, results[mode.value])
    # A server's steady state: the planner's word counts kept across queries (30 s), as
    # different queries share words. Each query is still new to it; none is repeated.
    _forget_counts(bench)
    warm = Stopwatch()
    for query in queries:
        warm.time(lambda q=query: _search(bench, q, SearchMode.keyword, limit))
    results["keyword_counts_reused_across_queries"] = warm.summary()
    _print("keyword, counts reused", results["keyword_counts_reused_across_queries"])
    return results


def _forget_counts(bench: BenchRuntime) -> None:
    planner = getattr(bench.runtime.keyword_index, "planner", None)
    if planner is not None and hasattr(planner, "forget_counts"):
        planner.forget_counts()


def time_components(bench: BenchRuntime, queries: list[str], *, depth: int) -> dict[str, Any]:
    """The parts of a hybrid query on their own: where its time goes."""
    runtime = bench.runtime
    parts = {name: Stopwatch() for name in ("embed_query", "vector_index_search",
                                            "keyword_index_search")}
    for query in queries:
        vector = parts["embed_query"].time(lambda q=query: runtime.embedder.embed([q])[0])
        parts["vector_index_search"].time(
            lambda v=vector: runtime.vector_index.search(bench.workspace_id, v, depth))
        parsed = parse_query(query)
        _forget_counts(bench)
        with transaction(runtime.read_sessions) as session:
            parts["keyword_index_search"].time(
                lambda s=session, p=parsed: runtime.keyword_index.search(
                    s, workspace_id=bench.workspace_id, query=p, filters=SearchFilters(),
                    limit=depth))
    results = {name: watch.summary() for name, watch in parts.items()}
    for name, figures in results.items():
        _print(name, figures)
    return results


# `{fts}` is the workspace's FTS5 table (search/keyword_tables.py; one shared `chunk_fts`
# until 2026-12-06).
KEYWORD_WHAT_IFS = {
    # Exact BM25 over every match: every match joined to its chunk row for the workspace
    # check (redundant since the table is the workspace's), scored, sorted, cut.
    "exact OR (shipped until 2026-11-25)":
        "SELECT chunk.id, bm25({fts}) AS r FROM {fts} JOIN chunk "
        "ON chunk.id = {fts}.rowid WHERE {fts} MATCH :m AND chunk.workspace_id = :w "
        "ORDER BY r LIMIT :k",
    # Rank inside FTS5 first and look up only the top k rows.
    "rank in FTS5 first, then join top k":
        "SELECT chunk.id, t.r FROM (SELECT rowid, bm25({fts}) AS r FROM {fts} "
        "WHERE {fts} MATCH :m ORDER BY r LIMIT :k) AS t JOIN chunk ON chunk.id = t.rowid "
        "WHERE chunk.workspace_id = :w ORDER BY t.r",
    # All words required instead of any word: far fewer rows to score.
    "all words required (AND), as shipped otherwise":
        "SELECT chunk.id, bm25({fts}) AS r FROM {fts} JOIN chunk "
        "ON chunk.id = {fts}.rowid WHERE {fts} MATCH :a AND chunk.workspace_id = :w "
        "ORDER BY r LIMIT :k",
}


COMMON_WORD_SHARE = 0.05


def _without_common_words(session: Any, fts: str, parsed: Any, total: int) -> str:
    """The query minus words found in more than 5 % of chunks (their BM25 weight is ~0).

    Document frequencies are looked up per query here, so their cost is in the timing.
    """
    from sqlalchemy import text

    frequency = {term: session.execute(text(
        f"SELECT count(*) FROM {fts} WHERE {fts} MATCH :t"),
        {"t": f'"{term}"'}).scalar_one() for term in parsed.terms}
    kept = [t for t in parsed.terms if frequency[t] <= COMMON_WORD_SHARE * total]
    kept = kept or sorted(parsed.terms, key=frequency.__getitem__)[:2]
    return " OR ".join(f'"{t}"' for t in kept)


def keyword_index_facts(bench: BenchRuntime) -> dict[str, Any]:
    """The keyword index's size on disk, and for tantivy its build from the database.

    FTS5 is built by triggers as the chunks are written (in `chunks_and_keyword_index`);
    tantivy replays them afterwards (`catch_up`, as its indexer thread does), timed here
    with the process's RSS around it.
    """
    from sqlalchemy import text

    runtime = bench.runtime
    fts = keyword_table(bench.workspace_id)
    with transaction(runtime.read_sessions) as session:
        fts_bytes = session.execute(text(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE :p"),
            {"p": f"{fts}%"}).scalar_one()
    facts: dict[str, Any] = {"engine": type(runtime.keyword_index).__name__,
                             "fts5_table_mib": mib(fts_bytes)}
    catch_up = getattr(runtime.keyword_index, "catch_up", None)
    if catch_up is not None:
        rss_before = rss_bytes()
        with MemoryWatch() as memory:
            memory.enter("catch_up")
            started, cpu = time.perf_counter(), time.process_time()
            applied = catch_up()
            facts["catch_up_seconds"] = round(time.perf_counter() - started, 2)
            facts["catch_up_cpu_seconds"] = round(time.process_time() - cpu, 2)
        facts["catch_up_applied"] = applied.get(bench.workspace_id, 0)
        facts["rss_before_mib"] = mib(rss_before)
        facts["rss_peak_during_mib"] = mib(memory.peaks.get("catch_up", 0))
        facts["rss_after_mib"] = mib(rss_bytes())
        directory = runtime.keyword_index.directory / bench.workspace_id
        facts["tantivy_index_mib"] = mib(sum(
            p.stat().st_size for p in directory.rglob("*") if p.is_file()))
    else:
        facts["rss_mib"] = mib(rss_bytes())
    return facts


def time_keyword_what_ifs(bench: BenchRuntime, queries: list[str], *, depth: int,
                          statements: bool = True) -> dict[str, Any]:
    """Raw FTS5 statements around the shipped plan: what the keyword time is made of.

    Also how far the keyword engine as configured (the bounded FTS5 plan of
    search/fts5_plan.py, or tantivy) strays from exact FTS5 BM25 over every matching row:
    the share of the exact top 10 it returns in its own top 10. `statements=False` leaves
    the raw statements untimed and measures only that share.
    """
    from sqlalchemy import text

    fts = keyword_table(bench.workspace_id)
    sqls = {label: sql.format(fts=fts) for label, sql in KEYWORD_WHAT_IFS.items()}
    shipped = sqls["exact OR (shipped until 2026-11-25)"]
    labels = [*KEYWORD_WHAT_IFS, "drop words in >5% of chunks, as shipped otherwise"]
    watches = {label: Stopwatch() for label in labels}
    matches: list[int] = []
    overlap: list[float] = []
    with transaction(bench.runtime.read_sessions) as session:
        total = session.execute(text("SELECT count(*) FROM chunk")).scalar_one()
        for query in queries:
            parsed = parse_query(query)
            if parsed.is_empty or parsed.phrases or parsed.prefixes:
                continue
            any_word = to_fts5(parsed)
            all_words = " AND ".join(f'"{t}"' for t in parsed.terms)
            params = {"m": any_word, "a": all_words, "w": bench.workspace_id, "k": depth}
            for label, sql in (sqls.items() if statements else ()):
                watches[label].time(lambda s=sql, p=params: session.execute(text(s), p).all())
            exact = {row[0] for row in session.execute(text(shipped), {**params, "k": 10})}
            planned = {chunk_id for chunk_id, _ in bench.runtime.keyword_index.search(
                session, workspace_id=bench.workspace_id, query=parsed,
                filters=SearchFilters(), limit=10)}
            if exact:
                overlap.append(len(exact & planned) / len(exact))
            if statements:
                watches[labels[-1]].time(lambda p=params, q=parsed: session.execute(
                    text(shipped), {**p, "m": _without_common_words(session, fts, q, total)}
                ).all())
            matches.append(session.execute(text(
                f"SELECT count(*) FROM {fts} WHERE {fts} MATCH :m"), params).scalar_one())
    results: dict[str, Any] = {label: watch.summary() for label, watch in watches.items()
                               if watch.wall}
    for label, figures in results.items():
        _print(label[:22], figures)
    results["rows_matching_any_word"] = {"p50": percentile(matches, 50),
                                         "p95": percentile(matches, 95), "of": total}
    results["shipped_plan_top10_overlap_with_exact_bm25"] = {
        "mean": round(sum(overlap) / len(overlap), 3),
        "share_of_queries_identical": round(sum(o == 1.0 for o in overlap) / len(overlap), 3),
        "queries": len(overlap)}
    print(f"  shipped plan vs exact BM25, top 10: "
          f"{results['shipped_plan_top10_overlap_with_exact_bm25']}", flush=True)
    return results


def time_cold_open(bench: BenchRuntime, query: str) -> dict[str, float]:
    """A restarted process: the first semantic query opens the vector index."""
    runtime = bench.runtime
    runtime.vector_index.flush(force=True)  # type: ignore[call-arg]
    fresh = build_runtime(runtime.settings, embedder=runtime.embedder)
    try:
        started = time.perf_counter()
        with transaction(fresh.read_sessions) as session:
            search(session=session, runtime=fresh, workspace_id=bench.workspace_id, text=query,
                   mode=SearchMode.semantic, filters=SearchFilters(), limit=10, offset=0)
        first = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        with transaction(fresh.read_sessions) as session:
            search(session=session, runtime=fresh, workspace_id=bench.workspace_id, text=query,
                   mode=SearchMode.semantic, filters=SearchFilters(), limit=10, offset=0)
        second = (time.perf_counter() - started) * 1000
    finally:
        fresh.engine.dispose()
    return {"first_query_ms": round(first, 1), "second_query_ms": round(second, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="chunk counts to measure at")
    parser.add_argument("--queries", type=int, default=200, help="queries per mode and size")
    parser.add_argument("--limit", type=int, default=10, help="hits per query (API default)")
    parser.add_argument("--name", default="search_latency", help="results file name")
    parser.add_argument("--keyword-engine", choices=("fts5", "tantivy"), default="fts5",
                        help="KEYWORD_ENGINE of the runtime measured")
    parser.add_argument("--what-ifs", choices=("all", "overlap", "none"), default="all",
                        help="raw FTS5 statements timed beside the engine (all), or only "
                             "the engine's top 10 against exact BM25 (overlap)")
    parser.add_argument("--keep-data", type=Path, default=None,
                        help="DATA_DIR to build in and keep (reopened: only missing chunks "
                             "are added), instead of a temporary one")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))

    started = time.perf_counter()
    pages, source = load_pages()
    sentences = [sentence for page in pages for sentence in page]
    print(f"{len(sentences)} sentences on {len(pages)} pages from {source} "
          f"({time.perf_counter() - started:.1f} s)")
    questions = natural_questions()
    # Three in four queries are a few keywords, one in four a natural-language question.
    keyword_style = make_queries(sentences, args.queries - min(len(questions), args.queries // 4))
    queries = keyword_style + questions[:args.queries - len(keyword_style)]
    random.Random(5).shuffle(queries)
    passages = corpus.iter_passages(pages, seed=17)
    vectors = corpus.StandInVectors(23, dimensions=DIMENSIONS)
    known: dict[str, np.ndarray] = {}

    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    calibration = calibrate_embedder(embedder)
    print(f"model calibration: {calibration}")
    by_size: dict[str, Any] = {}
    with temporary_runtime(embedder=embedder, keep_in=args.keep_data, worker_threads=0,
                           keyword_engine=args.keyword_engine) as bench:
        depth = max(args.limit + 1, bench.runtime.settings.search_candidates)
        # Open the (empty) vector index now so adds below do not rebuild it from the DB.
        bench.runtime.vector_index.search(bench.workspace_id, np.ones(DIMENSIONS, np.float32), 1)
        for size in sizes:
            print(f"\n== {size} chunks: building", flush=True)
            build_started = time.perf_counter()
            build = grow_corpus(bench, target=size, passages=passages, vectors=vectors,
                                known=known, model=embedder.name)
            build["total"] = round(time.perf_counter() - build_started, 2)
            # What the job runner does after the job that added them (core/planner_statistics).
            analyzed = bench.runtime.planner_statistics.refresh()
            print(f"  built in {build['total']} s {build}; planner statistics refreshed: "
                  f"{analyzed}", flush=True)
            keyword_index = keyword_index_facts(bench)
            print(f"  keyword index: {keyword_index}; timing {len(queries)} queries per mode",
                  flush=True)
            modes = time_modes(bench, queries, limit=args.limit)
            components = time_components(bench, queries, depth=depth)
            keyword_what_ifs = ({} if args.what_ifs == "none" else time_keyword_what_ifs(
                bench, queries, depth=depth, statements=args.what_ifs == "all"))
            db = bench.data_dir / "casework.db"
            by_size[str(size)] = {
                "build_seconds": build, "keyword_index": keyword_index,
                "modes": modes, "hybrid_components": components,
                "keyword_statement_what_ifs": keyword_what_ifs,
                "database_mib": mib(db.stat().st_size + _wal_size(db)),
                "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
            }
        cold = time_cold_open(bench, queries[0])
        print(f"\ncold open of the vector index at {sizes[-1]} chunks: {cold}")
        by_size[str(sizes[-1])]["cold_start_semantic"] = cold

    largest = by_size[str(sizes[-1])]["modes"]
    out = write_results(args.name, {
        "method": "single query at a time through casework.search.service.search, each in "
                  "its own read transaction, on a temporary SQLite DATA_DIR; corpus vectors "
                  "are random unit vectors (near a 12-d subspace), the query is embedded "
                  "by the real model",
        "keyword_engine": args.keyword_engine,
        "calibration": calibration, "text_source": source, "queries": len(queries),
        "queries_natural_language": len(queries) - len(keyword_style),
        "limit": args.limit, "candidates_per_engine": depth, "sizes": by_size,
        "targets": {"hybrid_p95_ms_at_largest": 50, "keyword_p95_ms": 20},
        "targets_met": {
            "hybrid_p95_under_50_ms": largest["hybrid"]["p95_ms"] < 50,
            "keyword_p95_under_20_ms_at_every_size": all(
                s["modes"]["keyword"]["p95_ms"] < 20 for s in by_size.values()),
        },
        "peak_rss_mib": mib(peak_rss_bytes()),
    })
    print(f"\nresults: {out}")
    return 0


def _wal_size(db: Path) -> int:
    wal = db.with_name(db.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


if __name__ == "__main__":
    sys.exit(main())
