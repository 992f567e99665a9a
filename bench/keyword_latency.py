"""Keyword-mode latency through search() on a kept corpus that need not have vectors.

    PYTHONPATH=src:bench .venv/bin/python bench/keyword_latency.py --data-dir DIR

DIR is a DATA_DIR kept by `bench/search_latency.py --keep-data DIR` (or built with its
chunks only: the vector index is never opened here, so a million chunks need not wait
~6 minutes for it). search_latency.py's 200 queries, limit 10, each through
casework.search.service.search in its own read transaction as the API runs it (hydration
and snippets included; word counts forgotten before each query), after 20 warm-up
queries; then the keyword engine alone asked for the 100 candidates a hybrid query takes
from it. Wall and process CPU per query, with the load average before and after.
`--rescore-depth 0` times tantivy in its own order (no exact rescoring) for comparison.
Results: bench/results/<name>.json.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import text

from casework.bootstrap import build_runtime
from casework.core.database import transaction
from casework.core.settings import load_settings
from casework.search.filters import SearchFilters
from casework.search.query import parse_query
from casework.search.service import SearchMode, search
from harness import write_results
from keyword_agreement import queries_of
from search_latency import Stopwatch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--name", default="keyword_latency")
    parser.add_argument("--rescore-depth", type=int, default=None,
                        help="tantivy hits rescored (0: its own order; default as shipped)")
    args = parser.parse_args(argv)
    settings = load_settings(_env_file=None, data_dir=args.data_dir, database_url=None,
                             keyword_engine="tantivy", worker_threads=0)
    runtime = build_runtime(settings)
    if args.rescore_depth is not None:
        runtime.keyword_index.rescore_depth = args.rescore_depth
    queries = queries_of(args.queries)
    load_before = [round(x, 2) for x in os.getloadavg()]
    api, engine = Stopwatch(), Stopwatch()
    try:
        with transaction(runtime.read_sessions) as session:
            workspace_id = session.scalar(text("SELECT workspace_id FROM chunk LIMIT 1"))
            chunks = session.scalar(text("SELECT count(*) FROM chunk"))
        runtime.keyword_index.catch_up()  # builds the index if the DATA_DIR has none

        def keyword(query: str) -> Any:
            with transaction(runtime.read_sessions) as session:
                return search(session=session, runtime=runtime, workspace_id=workspace_id,
                              text=query, mode=SearchMode.keyword, filters=SearchFilters(),
                              limit=10, offset=0)

        for query in queries[:20]:
            keyword(query)
        for query in queries:
            runtime.keyword_index.planner.forget_counts()
            api.time(lambda q=query: keyword(q))
        depth = settings.search_candidates
        for query in queries:
            parsed = parse_query(query)
            with transaction(runtime.read_sessions) as session:
                engine.time(lambda s=session, p=parsed: runtime.keyword_index.search(
                    s, workspace_id=workspace_id, query=p, filters=SearchFilters(),
                    limit=depth))
    finally:
        runtime.close()
    results = {"keyword_mode_through_search": api.summary(),
               f"keyword_engine_top_{depth}": engine.summary()}
    for name, figures in results.items():
        print(f"{name:<32} {figures}", flush=True)
    out = write_results(args.name, {
        "method": "keyword mode through casework.search.service.search on a kept DATA_DIR, "
                  "one query at a time; then the keyword engine alone at hybrid's depth",
        "chunks": chunks, "rescore_depth": runtime.keyword_index.rescore_depth,
        **results, "load_average_1_5_15_before": load_before,
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    })
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
