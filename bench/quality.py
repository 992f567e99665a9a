"""Retrieval quality per search mode on the Python manuals: recall@5, MRR@10, nDCG@10.

    apt-get install -y python3.11-doc          # once: the manuals as HTML
    .venv/bin/python bench/quality.py

About 90 library pages and the tutorial are ingested through the real pipeline (store →
HTML parser → chunk → keyword index → real embeddings → vector index) on a temporary
DATA_DIR. Each question of bench/questions/python_docs.jsonl (written for this benchmark,
in a user's words, with the page or pages that answer it) is searched in each mode; the
ranked passages become a ranked list of pages (first appearance wins), scored against the
relevant pages. Results: bench/results/quality.json.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from casework.bootstrap import start_workers
from casework.core.database import transaction
from casework.search.filters import SearchFilters
from casework.search.service import SearchMode, search
from harness import (
    calibrate_embedder,
    mib,
    peak_rss_bytes,
    store_file,
    temporary_runtime,
    wait_for_documents,
    write_results,
)

DOCS_ROOT = Path("/usr/share/doc/python3.11/html")
QUESTIONS = Path(__file__).resolve().parent / "questions" / "python_docs.jsonl"
LIBRARY_PAGES = """
json csv datetime re pathlib os.path shutil glob fnmatch tempfile collections itertools
functools heapq bisect random statistics math decimal fractions string textwrap difflib
struct copy pprint enum dataclasses abc contextlib argparse logging getpass time calendar
zoneinfo sched threading queue subprocess concurrent.futures socket select signal
urllib.request urllib.parse http.client http.server smtplib email.message base64 hashlib
hmac secrets uuid zlib gzip bz2 lzma zipfile tarfile sqlite3 pickle shelve configparser
tomllib io sys platform traceback warnings timeit profile unittest pdb venv inspect weakref
gc array graphlib operator html.parser xml.etree.elementtree webbrowser locale gettext
ipaddress mmap atexit asyncio-task shlex filecmp mimetypes
""".split()
# Published anchors on BEIR SciFact, nDCG@10 (Thakur et al. 2021; sentence-transformers).
ANCHORS = {"BM25 (SciFact)": 0.665, "all-MiniLM-L6-v2 (SciFact)": 0.645}


def corpus_pages() -> list[str]:
    pages = [f"library/{name}.html" for name in LIBRARY_PAGES]
    pages += sorted(p.relative_to(DOCS_ROOT).as_posix()
                    for p in (DOCS_ROOT / "tutorial").glob("*.html"))
    return pages


def main_content_copy(source: Path, target: Path) -> None:
    """Sphinx's main column only (no sidebar, navigation or footer): a what-if variant."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(source.read_text(encoding="utf-8"))
    title = tree.css_first("title")
    main = tree.css_first('div[role="main"]') or tree.body
    target.write_text(f"<!doctype html><html><head><title>{title.text() if title else ''}"
                      f"</title></head><body>{main.html if main else ''}</body></html>",
                      encoding="utf-8")


def load_questions() -> list[dict[str, Any]]:
    with open(QUESTIONS) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def ranked_pages(hits: list[Any], page_of: dict[str, str]) -> list[str]:
    seen: list[str] = []
    for hit in hits:
        page = page_of.get(hit.document_id or "")
        if page is not None and page not in seen:
            seen.append(page)
    return seen


def score(ranking: list[str], relevant: set[str]) -> dict[str, float]:
    dcg = sum(1 / math.log2(i + 2) for i, page in enumerate(ranking[:10]) if page in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
    first = next((i + 1 for i, page in enumerate(ranking[:10]) if page in relevant), None)
    return {
        "recall@5": len(relevant & set(ranking[:5])) / len(relevant),
        "recall@10": len(relevant & set(ranking[:10])) / len(relevant),
        "mrr@10": 1 / first if first else 0.0,
        "ndcg@10": dcg / ideal,
        "hit@1": 1.0 if ranking[:1] and ranking[0] in relevant else 0.0,
    }


def _mean(per_question: list[dict[str, Any]]) -> dict[str, float]:
    return {metric: round(sum(q[metric] for q in per_question) / len(per_question), 4)
            for metric in ("recall@5", "recall@10", "mrr@10", "ndcg@10", "hit@1")}


def fuse_rrf(rankings: list[list[int]], weights: list[float], k: int) -> list[int]:
    """Weighted reciprocal rank fusion (casework shipped weights 1, 1 and k = 60 first)."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return [item for item, _ in sorted(scores.items(), key=lambda p: (-p[1], p[0]))]


def _what_ifs(keyword: list[Any], semantic: list[Any]) -> dict[str, list[int]]:
    """Other fusions of the same two passage rankings, to compare with what ships.

    They are scored on the same questions they would be chosen on, so read them as
    hints; the shipped rule's per-half figures (even/odd questions) are in the results.
    """
    from casework.search.service import fuse

    k_ids, s_ids = [h.chunk_id for h in keyword], [h.chunk_id for h in semantic]
    k_scored = [(h.chunk_id, h.score) for h in keyword]
    s_scored = [(h.chunk_id, h.score) for h in semantic]
    out = {"rrf k=60 (shipped until 2026-11-25)": fuse_rrf([k_ids, s_ids], [1, 1], 60),
           "rrf k=60, semantic weight 3": fuse_rrf([k_ids, s_ids], [1, 3], 60)}
    for weight in (0.5, 0.7, 0.9):
        out[f"convex min-max, fixed semantic share {weight}"] = [
            item for item, _ in fuse(k_scored, s_scored, semantic_weight=weight)]
    return out


def evaluate(bench: Any, questions: list[dict[str, Any]], page_of: dict[str, str],
             depth: int) -> dict[str, Any]:
    runtime = bench.runtime
    by_mode: dict[str, Any] = {}
    passages: dict[str, list[list[Any]]] = {}
    for mode in (SearchMode.keyword, SearchMode.semantic, SearchMode.hybrid):
        per_question = []
        passages[mode.value] = []
        for question in questions:
            with transaction(runtime.read_sessions) as session:
                result = search(session=session, runtime=runtime,
                                workspace_id=bench.workspace_id, text=question["question"],
                                mode=mode, filters=SearchFilters(), limit=depth, offset=0)
            passages[mode.value].append(result.hits)
            ranking = ranked_pages(result.hits, page_of)
            per_question.append({"id": question["id"], "top5": ranking[:5],
                                 **score(ranking, set(question["relevant"]))})
        means = _mean(per_question)
        by_mode[mode.value] = {"mean": means, "questions": per_question}
        print(f"  {mode.value:<8} recall@5 {means['recall@5']:.3f}  mrr@10 {means['mrr@10']:.3f}"
              f"  ndcg@10 {means['ndcg@10']:.3f}  hit@1 {means['hit@1']:.3f}", flush=True)

    document_of = {hit.chunk_id: hit.document_id for hits in passages["keyword"]
                   + passages["semantic"] for hit in hits}
    what_ifs: dict[str, Any] = {}
    fusions = [_what_ifs(passages["keyword"][i], passages["semantic"][i])
               for i in range(len(questions))]
    for label in fusions[0]:
        per_question = []
        for index, question in enumerate(questions):
            fused = fusions[index][label]
            ranking: list[str] = []
            for chunk_id in fused:
                page = page_of.get(document_of.get(chunk_id) or "")
                if page is not None and page not in ranking:
                    ranking.append(page)
            per_question.append(score(ranking, set(question["relevant"])))
        what_ifs[label] = _mean(per_question)
        print(f"  what-if {label:<28} ndcg@10 {what_ifs[label]['ndcg@10']:.3f}", flush=True)
    by_mode["fusion_what_ifs"] = what_ifs
    halves: dict[str, Any] = {}
    for half, start in (("even", 0), ("odd", 1)):
        halves[half] = {mode: round(sum(q["ndcg@10"] for q in by_mode[mode]["questions"][
            start::2]) / len(by_mode[mode]["questions"][start::2]), 4)
            for mode in ("keyword", "semantic", "hybrid")}
    by_mode["ndcg@10_by_half"] = halves
    print(f"  by half: {halves}", flush=True)
    return by_mode


def run(variant: str, questions: list[dict[str, Any]], *, threads: int,
        timeout: float, runtime: str, tantivy: bool = False) -> dict[str, Any]:
    pages = corpus_pages()
    missing = {r for q in questions for r in q["relevant"]} - set(pages)
    if missing:
        raise SystemExit(f"questions name pages outside the corpus: {sorted(missing)}")
    with tempfile.TemporaryDirectory(prefix="casework-bench-docs-") as tmp, \
            temporary_runtime(worker_threads=threads, embedding_runtime=runtime) as bench:
        calibration = calibrate_embedder(bench.runtime.embedder)
        sources: list[tuple[str, Path]] = []
        for page in pages:
            target = Path(tmp) / page
            target.parent.mkdir(parents=True, exist_ok=True)
            if variant == "main-content":
                main_content_copy(DOCS_ROOT / page, target)
            else:
                shutil.copyfile(DOCS_ROOT / page, target)
            sources.append((page, target))
        print(f"ingesting {len(sources)} pages ({variant}) …", flush=True)
        started = time.perf_counter()
        page_of: dict[str, str] = {}
        for page, path in sources:
            document_id, _ = store_file(bench, path)
            page_of[document_id] = page
        start_workers(bench.runtime)
        progress = wait_for_documents(bench, list(page_of), started=started, timeout=timeout)
        ingest_seconds = time.perf_counter() - started
        if progress.failed:
            raise SystemExit(f"documents failed: {progress.failed}")
        from sqlalchemy import func, select

        from casework.search.models import Chunk

        with transaction(bench.runtime.read_sessions) as session:
            chunks = session.scalar(select(func.count()).select_from(Chunk)) or 0
        print(f"  {chunks} chunks in {ingest_seconds:.0f} s; {len(questions)} questions",
              flush=True)
        depth = bench.runtime.settings.search_max_limit
        modes = evaluate(bench, questions, page_of, depth)
        by_engine = {"fts5": modes}
        if tantivy:
            for fts5_idf in (True, False):
                by_engine["tantivy, FTS5 IDF" if fts5_idf else "tantivy, Lucene IDF"] = (
                    _evaluate_tantivy(bench, questions, page_of, depth, fts5_idf=fts5_idf))
    return {"variant": variant, "embedding_runtime": runtime, "calibration": calibration,
            "pages": len(pages), "chunks": chunks,
            "ingest_seconds": round(ingest_seconds, 1), "passages_per_query": depth,
            "modes": modes, "modes_by_keyword_engine": by_engine}


def _evaluate_tantivy(bench: Any, questions: list[dict[str, Any]], page_of: dict[str, str],
                      depth: int, *, fts5_idf: bool) -> dict[str, Any]:
    """The same passages and questions with KEYWORD_ENGINE=tantivy: its index is built
    from the chunks just ingested and swapped into the runtime (no second ingest)."""
    from casework.search.tantivy_index import TantivyKeywordIndex

    runtime = bench.runtime
    index = TantivyKeywordIndex(directory=runtime.settings.data_dir / "index" / "keyword",
                                sessions=runtime.sessions, read_sessions=runtime.read_sessions,
                                fts5_idf=fts5_idf)
    with transaction(runtime.sessions) as session:
        index.prepare(session)
    index.catch_up()
    fts5, runtime.keyword_index = runtime.keyword_index, index
    try:
        print(f"  keyword engine: tantivy ({'FTS5' if fts5_idf else 'Lucene'} IDF)",
              flush=True)
        return evaluate(bench, questions, page_of, depth)
    finally:
        runtime.keyword_index = fts5
        index.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", choices=["as-is", "main-content", "both"], default="as-is",
                        help="as-is: the HTML files unchanged (default); main-content: only "
                        "Sphinx's main column, to see what page chrome costs; both")
    parser.add_argument("--threads", type=int, default=2, help="worker threads (default 2)")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--runtime", choices=["onnx", "torch", "both"], default="onnx",
                        help="EMBEDDING_RUNTIME to measure (default onnx, the default); both: "
                        "onnx then torch on the same pages and questions")
    parser.add_argument("--tantivy", action="store_true",
                        help="also rank with KEYWORD_ENGINE=tantivy on the same passages")
    parser.add_argument("--name", default="quality", help="results file name")
    args = parser.parse_args(argv)
    if not DOCS_ROOT.is_dir():
        raise SystemExit(f"{DOCS_ROOT} is missing: apt-get install -y python3.11-doc")
    questions = load_questions()
    variants = ["as-is", "main-content"] if args.variant == "both" else [args.variant]
    runtimes = ["onnx", "torch"] if args.runtime == "both" else [args.runtime]
    runs = [run(v, questions, threads=args.threads, timeout=args.timeout, runtime=r,
                tantivy=args.tantivy) for r in runtimes for v in variants]
    for result in runs:
        hybrid = result["modes"]["hybrid"]["mean"]["ndcg@10"]
        best_single = max(result["modes"][m]["mean"]["ndcg@10"] for m in ("keyword", "semantic"))
        result["hybrid_at_least_best_single_mode"] = hybrid >= best_single
    out = write_results(args.name, {
        "method": "Python 3.11 manuals (Debian python3.11-doc) ingested through casework's "
                  "pipeline; questions written for this benchmark; passages ranked by "
                  "casework.search.service.search and collapsed to pages by first appearance",
        "questions_file": str(QUESTIONS.relative_to(QUESTIONS.parents[2])),
        "questions": len(questions), "anchors_ndcg@10": ANCHORS, "runs": runs,
        "peak_rss_mib": mib(peak_rss_bytes()),
    })
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
