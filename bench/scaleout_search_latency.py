# ruff: noqa: I001, RUF100 - import order depends on which sibling bench modules exist
"""Search latency p50/p95 per mode on PostgreSQL (BM25 keyword, pgvector HNSW) at 100k chunks.

    .venv/bin/python bench/scaleout_search_latency.py

The PostgreSQL twin of bench/search_latency.py, with the same corpus building
(bench/latency_corpus.py's grow_corpus: documents, chunks through casework's indexing, a
random unit vector per text in `embedding` and in the vector index, here pgvector) and the
same queries, timed through casework.search.service.search one at a time, each in its own
read transaction. The server is PostgreSQL 16 + pgvector from the `pgserver` wheel
(default configuration, unix socket);
the HNSW index is dropped for the bulk load and rebuilt with casework's own definition
before timing (the same index, built in one pass instead of row by row), and the tables
are VACUUM ANALYZEd, as autovacuum would do shortly after a bulk load.
No search cache (bench/scaleout_api_rps.py measures it). The keyword engine's bounded
plan is also timed against exact BM25 over every match (what every query ran before it),
with the share of the exact top 10 it returns. Results:
bench/results/scaleout_search_latency.json.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from typing import Any

import numpy as np
from sqlalchemy import text

import corpus
from harness import calibrate_embedder, mib, peak_rss_bytes, write_results
from latency_corpus import DIMENSIONS, grow_corpus, load_pages, make_queries, natural_questions
from scaleout_common import (
    bench_runtime,
    pgvector_server,
    postgres_database,
    stop_cleanly_on_sigterm,
)
from search_latency import time_components, time_modes


def vacuum_analyze(database_url: str) -> float:
    """What autovacuum does after a bulk load: visibility map and planner statistics."""
    from sqlalchemy import create_engine

    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    started = time.perf_counter()
    try:
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()
    return round(time.perf_counter() - started, 2)


HNSW_INDEX = "ix_chunk_vector_embedding"


def drop_hnsw_index(bench: Any) -> None:
    """Bulk loading is far faster without the graph; it is rebuilt before any query."""
    with bench.runtime.engine.begin() as conn:
        conn.execute(text(f"DROP INDEX IF EXISTS {HNSW_INDEX}"))


def build_hnsw_index(bench: Any) -> float:
    """The same index casework creates (casework/db/pgvector.py), built in one pass."""
    from casework.db.pgvector import TABLE

    statement = next(s for s in TABLE if HNSW_INDEX in s)
    started = time.perf_counter()
    with bench.runtime.engine.begin() as conn:
        conn.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
        conn.execute(text(statement))
    return round(time.perf_counter() - started, 2)


def _backend_cpu_seconds(bench: Any) -> float:
    """CPU seconds so far of every PostgreSQL backend serving this database.

    The keyword ranking and the HNSW walk run in the server, whose CPU a client-side timer
    does not see; on a loaded machine this is the figure that does not wait for a core.
    """
    import psutil

    with bench.runtime.engine.connect() as conn:
        pids = conn.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend'")).scalars().all()
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def time_server_cpu(bench: Any, queries: list[str], *, depth: int) -> dict[str, Any]:
    """PostgreSQL CPU per keyword query and per HNSW search, each engine on its own."""
    from casework.core.database import transaction
    from casework.search.filters import SearchFilters
    from casework.search.query import parse_query

    runtime = bench.runtime
    vectors = runtime.embedder.embed(queries)
    engines = {
        "keyword_index_search": lambda i: runtime.keyword_index.search(
            session, workspace_id=bench.workspace_id, query=parse_query(queries[i]),
            filters=SearchFilters(), limit=depth),
        "vector_index_search": lambda i: runtime.vector_index.search(
            bench.workspace_id, vectors[i], depth),
    }
    results: dict[str, Any] = {}
    for name, call in engines.items():
        with transaction(runtime.read_sessions) as session:
            call(0)  # the pooled connection exists before the first sample
            before = _backend_cpu_seconds(bench)
            started = time.perf_counter()
            for i in range(len(queries)):
                call(i)
            wall = time.perf_counter() - started
            cpu = _backend_cpu_seconds(bench) - before
        results[name] = {"server_cpu_ms_per_query": round(1000 * cpu / len(queries), 2),
                         "wall_ms_per_query": round(1000 * wall / len(queries), 2)}
        print(f"  {name:<22} PostgreSQL CPU {results[name]['server_cpu_ms_per_query']:6.2f} "
              f"ms/query (wall {results[name]['wall_ms_per_query']:6.2f} ms)", flush=True)
    return results


def time_plan_against_exact(bench: Any, queries: list[str], *, depth: int,
                            limit: int | None = None,
                            engines: dict[str, Any] | None = None) -> dict[str, Any]:
    """Each keyword engine (default: the runtime's; search/postgres_plan.py's bounded plan
    unless KEYWORD_ENGINE=tantivy) against exact BM25 over every matching chunk
    (`rank_exact`, what every query ran before the plan), query by query in one read
    transaction: the time of each and the share of the exact top 10 that the engine
    returns in its top 10. Exact BM25 runs once a query, whatever the engines."""
    from casework.core.database import transaction
    from casework.search.filters import SearchFilters
    from casework.search.postgres_bm25 import rank_exact
    from casework.search.query import parse_query
    from search_latency import Stopwatch

    runtime = bench.runtime
    engines = engines or {"plan": runtime.keyword_index}
    statistics = runtime.keyword_index.planner.statistics
    watches = {name: Stopwatch() for name in [*engines, "exact"]}
    overlap: dict[str, list[float]] = {name: [] for name in engines}
    with transaction(runtime.read_sessions) as session:
        n, avgdl = statistics.workspace(session, bench.workspace_id)
        for query in queries[:limit]:
            parsed = parse_query(query)
            if parsed.is_empty:
                continue
            answers = {name: watches[name].time(lambda p=parsed, e=engine: e.search(
                session, workspace_id=bench.workspace_id, query=p, filters=SearchFilters(),
                limit=depth)) for name, engine in engines.items()}
            exact = watches["exact"].time(lambda p=parsed: rank_exact(
                session, workspace_id=bench.workspace_id, query=p, filters=SearchFilters(),
                limit=depth, n=n, avgdl=avgdl))
            top = {chunk_id for chunk_id, _ in exact[:10]}
            if top:
                for name, answer in answers.items():
                    overlap[name].append(len(top & {c for c, _ in answer[:10]}) / len(top))
    results: dict[str, Any] = {name: watch.summary() for name, watch in watches.items()}
    for name, shares in overlap.items():
        key = ("plan_top10_overlap_with_exact_bm25" if name == "plan"
               else f"{name}_top10_overlap_with_exact_bm25")
        results[key] = {"mean": round(sum(shares) / len(shares), 3),
                        "share_of_queries_identical": round(
                            sum(o == 1.0 for o in shares) / len(shares), 3),
                        "queries": len(shares)}
        print(f"  {name} vs exact BM25, top 10: {results[key]}", flush=True)
    for name in watches:
        print(f"  keyword {name:<14} p50 {results[name]['p50_ms']:8.2f} ms   "
              f"p95 {results[name]['p95_ms']:8.2f} ms", flush=True)
    return results


def build_tantivy(bench: Any) -> dict[str, Any]:
    """The process's tantivy index of the workspace, built from the chunks as a server
    builds it on the first search (PostgreSQL answers meanwhile); timed apart."""
    index = bench.runtime.keyword_index
    rss_before = mib(peak_rss_bytes())
    started = time.perf_counter()
    cpu = time.process_time()
    count = index.rebuild(bench.workspace_id)
    facts = {"seconds": round(time.perf_counter() - started, 2),
             "cpu_seconds": round(time.process_time() - cpu, 2), "chunks": count,
             "index_mib": mib(sum(p.stat().st_size for p in index.directory.rglob("*")
                                  if p.is_file())),
             "peak_rss_mib_before": rss_before, "peak_rss_mib_after": mib(peak_rss_bytes())}
    print(f"  tantivy index built: {facts}", flush=True)
    return facts


def database_facts(bench: Any) -> dict[str, Any]:
    with bench.runtime.engine.connect() as conn:
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        hnsw = conn.execute(text(
            "SELECT pg_relation_size('ix_chunk_vector_embedding')")).scalar_one()
        version = conn.execute(text("SHOW server_version")).scalar_one()
        pgvector = conn.execute(text(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'")).scalar()
        shared_buffers = conn.execute(text("SHOW shared_buffers")).scalar_one()
    return {"database_mib": mib(size), "hnsw_index_mib": mib(hnsw),
            "postgresql": version, "pgvector": pgvector, "shared_buffers": shared_buffers}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="chunk counts to measure at")
    parser.add_argument("--queries", type=int, default=100, help="queries per mode and size")
    parser.add_argument("--limit", type=int, default=10, help="hits per query (API default)")
    parser.add_argument("--name", default="scaleout_search_latency", help="results file name")
    parser.add_argument("--keyword-engine", choices=("database", "tantivy"),
                        default="tantivy",
                        help="KEYWORD_ENGINE: tantivy beside PostgreSQL (the default; built "
                             "from the chunks before timing, PostgreSQL's own plan timed on "
                             "the same corpus after), or PostgreSQL's bounded plan alone")
    parser.add_argument("--exact-queries", type=int, default=None,
                        help="compare the plan with exact BM25 on the first N queries only "
                             "(exact BM25 takes seconds a query at a million chunks)")
    args = parser.parse_args(argv)
    stop_cleanly_on_sigterm()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    pages, source = load_pages()
    sentences = [sentence for page in pages for sentence in page]
    questions = natural_questions()
    keyword_style = make_queries(sentences, args.queries - min(len(questions), args.queries // 4))
    queries = keyword_style + questions[:args.queries - len(keyword_style)]
    random.Random(5).shuffle(queries)
    passages = corpus.iter_passages(pages, seed=17)
    vectors = corpus.StandInVectors(23, dimensions=DIMENSIONS)
    known: dict[str, np.ndarray] = {}
    print(f"{len(queries)} queries; text from {source}", flush=True)

    by_size: dict[str, Any] = {}
    with pgvector_server() as admin_url, postgres_database(admin_url) as url, \
            bench_runtime(url, worker_threads=0, search_cache_seconds=0,
                          keyword_engine=args.keyword_engine) as bench:
        runtime = bench.runtime
        kind = type(runtime.vector_index).__name__
        if kind != "PgvectorIndex":
            raise SystemExit(f"expected pgvector, got {kind}: {runtime.semantic_off_reason}")
        calibration = calibrate_embedder(runtime.embedder)
        print(f"model calibration: {calibration}", flush=True)
        depth = max(args.limit + 1, runtime.settings.search_candidates)
        for size in sizes:
            print(f"\n== {size} chunks: building", flush=True)
            started = time.perf_counter()
            drop_hnsw_index(bench)
            build = grow_corpus(bench, target=size, passages=passages, vectors=vectors,
                                known=known, model=runtime.embedder.name)
            build["hnsw_index_build"] = build_hnsw_index(bench)
            build["vacuum_analyze"] = vacuum_analyze(url)
            if args.keyword_engine == "tantivy":
                build["tantivy"] = build_tantivy(bench)
            build["total"] = round(time.perf_counter() - started, 2)
            print(f"  built in {build['total']} s {build}", flush=True)
            modes = time_modes(bench, queries, limit=args.limit)
            write_results(args.name + "_partial", {"size": size, "build_seconds": build,
                                                   "modes": modes,
                                                   "load_average_1_5_15": os.getloadavg()})
            components = time_components(bench, queries, depth=depth)
            server_cpu = time_server_cpu(bench, queries, depth=depth)
            engines = {"plan": runtime.keyword_index}
            if args.keyword_engine == "tantivy":
                engines = {"tantivy": runtime.keyword_index,
                           "plan": runtime.keyword_index.fallback}
            plan = time_plan_against_exact(bench, queries, depth=depth,
                                           limit=args.exact_queries, engines=engines)
            by_size[str(size)] = {
                "build_seconds": build, "modes": modes, "hybrid_components": components,
                "postgresql_cpu": server_cpu, "keyword_plan_against_exact": plan,
                **database_facts(bench),
                "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
            }
            if args.keyword_engine == "tantivy":  # the same corpus, PostgreSQL's own plan
                runtime.keyword_index = runtime.keyword_index.fallback
                by_size[str(size)]["database_engine"] = {
                    "modes": time_modes(bench, queries, limit=args.limit),
                    "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()]}
                runtime.keyword_index = engines["tantivy"]

    largest = by_size[str(sizes[-1])]["modes"]
    out = write_results(args.name, {
        "method": "single query at a time through casework.search.service.search, each in "
                  "its own read transaction, on PostgreSQL 16 + pgvector (pgserver wheel, "
                  "default configuration, unix socket) after VACUUM ANALYZE; keyword = "
                  "keyword_engine: database = casework's BM25 over the GIN tsvector match "
                  "with the bounded plan (search/postgres_plan.py), tantivy = the process's "
                  "tantivy index, its top 20 rescored by exact BM25 "
                  "(search/tantivy_postgres.py); semantic = pgvector HNSW "
                  "(m 16, ef_construction 64, ef_search 2 x candidates); corpus vectors are "
                  "random unit vectors near a 12-d subspace, the query is embedded by the "
                  "real model; no search cache",
        "calibration": calibration, "text_source": source, "queries": len(queries),
        "queries_natural_language": len(queries) - len(keyword_style),
        "keyword_engine": args.keyword_engine,
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


if __name__ == "__main__":
    sys.exit(main())
