# ruff: noqa: I001, RUF100 - import order depends on which sibling bench modules exist
"""Keyword quality on PostgreSQL vs the embedded FTS5: nDCG@10 on the Python manuals.

    apt-get install -y python3.11-doc
    .venv/bin/python bench/scaleout_quality.py

The same pages (bench/quality.py's corpus) are ingested keyword-only into SQLite (FTS5 +
bm25()) and into PostgreSQL; every question of bench/questions/python_docs.jsonl is asked
in keyword mode. PostgreSQL is ranked over the same rows: by its own BM25 engine
(KEYWORD_ENGINE=database: the bounded plan of search/postgres_plan.py, after the ANALYZE
autovacuum runs shortly after a bulk load), by exact BM25 over every match (`rank_exact`,
what the plan approximates), by tantivy beside PostgreSQL (KEYWORD_ENGINE=tantivy, the
default since 2026-12-07: its candidates ranked by the same BM25,
search/tantivy_postgres.py), and by plain ts_rank_cd, PostgreSQL's own ranking, for scale.
Results: bench/results/scaleout_quality.json.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, literal_column, select

from casework.core.database import transaction
from casework.bootstrap import start_workers
from casework.search.filters import SearchFilters, scoped_chunks
from casework.search.models import Chunk
from casework.search.service import SearchMode, search
from harness import store_file, wait_for_documents, write_results
from quality import DOCS_ROOT, corpus_pages, load_questions, ranked_pages, score
from scaleout_common import bench_runtime, postgres_database

METRICS = ("recall@5", "recall@10", "mrr@10", "ndcg@10", "hit@1")


class TsRankCdIndex:
    """PostgreSQL's built-in ranking, as casework had it before BM25: the baseline."""

    def search(self, session, *, workspace_id, query, filters, limit, notes=None):
        from casework.search.query import to_tsquery

        tsquery = func.to_tsquery("english", to_tsquery(query))
        tsv = literal_column("chunk.tsv")
        rank = func.ts_rank_cd(tsv, tsquery, 32)
        stmt = select(Chunk.id, rank.label("rank")).where(tsv.op("@@")(tsquery))
        stmt = scoped_chunks(stmt, workspace_id=workspace_id, filters=filters)
        stmt = stmt.order_by(rank.desc(), Chunk.id).limit(limit)
        return [(cid, float(s)) for cid, s in session.execute(stmt).all()]


class ExactBm25Index:
    """BM25 over every chunk matching any query word: the ranking the plan bounds."""

    def __init__(self, statistics) -> None:
        self.statistics = statistics

    def search(self, session, *, workspace_id, query, filters, limit, notes=None):
        from casework.search.postgres_bm25 import rank_exact

        n, avgdl = self.statistics.workspace(session, workspace_id)
        return rank_exact(session, workspace_id=workspace_id, query=query, filters=filters,
                          limit=limit, n=n, avgdl=avgdl)


def tantivy_beside(bench) -> Any:
    """KEYWORD_ENGINE=tantivy over the same rows: the index a server builds on the first
    search, built here before the questions are asked."""
    from casework.search.tantivy_postgres import PostgresTantivyIndex

    runtime = bench.runtime
    index = PostgresTantivyIndex(directory=bench.data_dir / "tantivy", sessions=runtime.sessions,
                                 read_sessions=runtime.read_sessions)
    index.rebuild(bench.workspace_id)
    return index


def analyze(url: str) -> None:
    """The planner statistics autovacuum gathers shortly after a bulk load."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def plan_agreement(bench, questions) -> dict[str, Any]:
    """How often the bounded plan ran, and the share of exact BM25's top 10 chunks it
    returns in its own top 10, question by question."""
    from casework.search.postgres_bm25 import rank_exact
    from casework.search.query import parse_query

    planner = bench.runtime.keyword_index.planner
    overlap = []
    with transaction(bench.runtime.read_sessions) as session:
        n, avgdl = planner.statistics.workspace(session, bench.workspace_id)
        bounded = n > planner.candidate_rows  # the plan runs past this size (2026-12-06: with
        # or without an ANALYZE, as the workspace samples its own statistics)
        for question in questions:
            query = parse_query(question["question"])
            exact = {i for i, _ in rank_exact(session, workspace_id=bench.workspace_id,
                                              query=query, filters=SearchFilters(),
                                              limit=10, n=n, avgdl=avgdl)}
            planned = {i for i, _ in planner.search(session, workspace_id=bench.workspace_id,
                                                    query=query, filters=SearchFilters(),
                                                    limit=10)}
            if exact:
                overlap.append(len(exact & planned) / len(exact))
    return {"chunks": n, "bounded_plan_used": bounded,
            "top10_overlap_with_exact": round(sum(overlap) / len(overlap), 3),
            "share_of_questions_identical": round(
                sum(o == 1.0 for o in overlap) / len(overlap), 3)}


def ingest(bench, sources: list[tuple[str, Path]]) -> dict[str, str]:
    started = time.perf_counter()
    page_of = {}
    for page, path in sources:
        copy = bench.data_dir / "src" / page
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
        document_id, _ = store_file(bench, copy)
        page_of[document_id] = page
    start_workers(bench.runtime)
    progress = wait_for_documents(bench, list(page_of), started=started, timeout=1800)
    if progress.failed:
        raise SystemExit(f"documents failed: {progress.failed}")
    return page_of


def evaluate(bench, questions, page_of) -> dict[str, Any]:
    runtime = bench.runtime
    per_question, latencies = [], []
    for question in questions:
        with transaction(runtime.read_sessions) as session:
            began = time.perf_counter()
            result = search(session=session, runtime=runtime, workspace_id=bench.workspace_id,
                            text=question["question"], mode=SearchMode.keyword,
                            filters=SearchFilters(), limit=100, offset=0)
            latencies.append((time.perf_counter() - began) * 1000)
        ranking = ranked_pages(result.hits, page_of)
        per_question.append({"id": question["id"], "top5": ranking[:5],
                             **score(ranking, set(question["relevant"]))})
    means = {m: round(sum(q[m] for q in per_question) / len(per_question), 4) for m in METRICS}
    latencies.sort()
    means["p50_ms"] = round(latencies[len(latencies) // 2], 1)
    return {"mean": means, "questions": per_question}


def main() -> int:
    if not DOCS_ROOT.exists():
        print(f"{DOCS_ROOT} is missing: apt-get install -y python3.11-doc", file=sys.stderr)
        return 2
    questions = load_questions()
    sources = [(page, DOCS_ROOT / page) for page in corpus_pages()]
    results: dict[str, Any] = {"pages": len(sources), "questions": len(questions),
                               "engines": {}}
    with tempfile.TemporaryDirectory():
        with bench_runtime(None, semantic_search=False, keyword_engine="database") as bench:
            page_of = ingest(bench, sources)
            results["engines"]["sqlite_fts5_bm25"] = evaluate(bench, questions, page_of)
        with postgres_database() as url, bench_runtime(url, semantic_search=False,
                                                       keyword_engine="database") as bench:
            page_of = ingest(bench, sources)
            with transaction(bench.runtime.read_sessions) as session:
                results["chunks"] = session.scalar(select(func.count()).select_from(Chunk))
            analyze(url)
            results["engines"]["postgres_bm25"] = evaluate(bench, questions, page_of)
            results["postgres_plan_against_exact"] = plan_agreement(bench, questions)
            print(f"bounded plan against exact BM25: {results['postgres_plan_against_exact']}")
            shipped = bench.runtime.keyword_index
            bench.runtime.keyword_index = ExactBm25Index(shipped.planner.statistics)
            results["engines"]["postgres_bm25_exact"] = evaluate(bench, questions, page_of)
            bench.runtime.keyword_index = tantivy_beside(bench)
            results["engines"]["postgres_tantivy"] = evaluate(bench, questions, page_of)
            bench.runtime.keyword_index.close()
            bench.runtime.keyword_index = TsRankCdIndex()
            results["engines"]["postgres_ts_rank_cd"] = evaluate(bench, questions, page_of)
            bench.runtime.keyword_index = shipped  # closed with the runtime
    for name, engine in results["engines"].items():
        mean = engine["mean"]
        print(f"{name:<22} ndcg@10 {mean['ndcg@10']:.3f}  mrr@10 {mean['mrr@10']:.3f}  "
              f"recall@10 {mean['recall@10']:.3f}  p50 {mean['p50_ms']} ms")
    gap = (results["engines"]["sqlite_fts5_bm25"]["mean"]["ndcg@10"]
           - results["engines"]["postgres_bm25"]["mean"]["ndcg@10"])
    results["ndcg10_gap_points"] = round(gap * 100, 2)
    print(f"gap FTS5 - PostgreSQL BM25: {gap * 100:.2f} nDCG points (target: within 2)")
    cost = (results["engines"]["postgres_bm25_exact"]["mean"]["ndcg@10"]
            - results["engines"]["postgres_bm25"]["mean"]["ndcg@10"])
    results["plan_cost_ndcg10_points"] = round(cost * 100, 2)
    print(f"exact BM25 - bounded plan on PostgreSQL: {cost * 100:.2f} nDCG points")
    write_results("scaleout_quality", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
