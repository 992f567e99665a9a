"""Retrieval quality per search mode on real question sets: recall@5, MRR@10, nDCG@10.

    apt-get install -y python3.11-doc groff-base   # once: the Python manuals; groff for man
    .venv/bin/python bench/quality.py                       # the Python manuals
    .venv/bin/python bench/quality.py --set all             # every set (bench/question_sets.py)

A set's corpus (about 90 Python library pages and the tutorial; ~1,080 Linux man pages; the
Debian Policy Manual and the FHS cut into ~215 sections) is ingested through the real
pipeline (store → parser → chunk → keyword index → real embeddings → vector index) on a
temporary DATA_DIR. Each question of bench/questions/<set>.jsonl (written for this
benchmark from the source material, in a user's words, with the page or pages that answer
it) is searched in each mode; the ranked passages become a ranked list of pages (first
appearance wins), scored against the relevant pages. Results: bench/results/quality.json
(python_docs) and quality_<set>.json; each question's passages are kept under the bench
cache for bench/fusion_what_ifs.py.
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

import fusion_rules
from casework.bootstrap import start_workers
from casework.core.database import transaction
from casework.search.filters import SearchFilters
from casework.search.service import SearchMode, search
from harness import (
    CACHE_DIR,
    calibrate_embedder,
    mib,
    peak_rss_bytes,
    store_file,
    temporary_runtime,
    wait_for_documents,
    write_results,
)
from question_sets import DOCS_ROOT as DOCS_ROOT  # other benchmarks import it from here
from question_sets import (
    SETS,
    QuestionSet,
    check_questions,
    python_docs_pages,
)
from question_sets import load_questions as read_questions

QUESTIONS = SETS["python_docs"].questions_file
corpus_pages = python_docs_pages  # the Python manuals' pages (other benchmarks import it)
# Published anchors on BEIR SciFact, nDCG@10 (Thakur et al. 2021; sentence-transformers).
ANCHORS = {"BM25 (SciFact)": 0.665, "all-MiniLM-L6-v2 (SciFact)": 0.645}
PASSAGES_DIR = CACHE_DIR / "quality-passages"


def main_content_copy(source: Path, target: Path) -> None:
    """Sphinx's main column only (no sidebar, navigation or footer): a what-if variant."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(source.read_text(encoding="utf-8"))
    title = tree.css_first("title")
    main = tree.css_first('div[role="main"]') or tree.body
    target.write_text(f"<!doctype html><html><head><title>{title.text() if title else ''}"
                      f"</title></head><body>{main.html if main else ''}</body></html>",
                      encoding="utf-8")


def load_questions(path: Path = QUESTIONS) -> list[dict[str, Any]]:
    return read_questions(path)


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


def _what_ifs(keyword: list[Any], semantic: list[Any], text: str) -> dict[str, list[int]]:
    """Other fusions of the same two passage rankings, to compare with what ships.

    They are scored on the same questions they would be chosen on, so read them as
    hints; the shipped rule's per-half figures (even/odd questions) are in the results.
    bench/fusion_what_ifs.py scores more rules on every set at once.
    """
    k_ids, s_ids = [h.chunk_id for h in keyword], [h.chunk_id for h in semantic]
    k_scored = [(h.chunk_id, h.score) for h in keyword]
    s_scored = [(h.chunk_id, h.score) for h in semantic]
    out = {"rrf k=60 (shipped until 2026-11-25)": fuse_rrf([k_ids, s_ids], [1, 1], 60),
           "rrf k=60, semantic weight 3": fuse_rrf([k_ids, s_ids], [1, 3], 60),
           "min-max, semantic share by query length (shipped until 2026-12-06)":
               fusion_rules.minmax(k_scored, s_scored, text)}
    for weight in (0.5, 0.7, 0.9):
        out[f"convex min-max, fixed semantic share {weight}"] = fusion_rules.minmax(
            k_scored, s_scored, text, share=weight)
    return out


def evaluate(bench: Any, questions: list[dict[str, Any]], page_of: dict[str, str],
             depth: int, dump: Path | None = None) -> dict[str, Any]:
    """Each mode's figures; `dump` keeps each question's passages (chunk, score, page) per
    mode, so other fusions can be scored offline (bench/fusion_what_ifs.py)."""
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

    if dump is not None:
        dump.parent.mkdir(parents=True, exist_ok=True)
        dump.write_text(json.dumps([
            {**question, **{mode: [[h.chunk_id, h.score, page_of.get(h.document_id or "")]
                                   for h in passages[mode][index]] for mode in passages}}
            for index, question in enumerate(questions)]))
    document_of = {hit.chunk_id: hit.document_id for hits in passages["keyword"]
                   + passages["semantic"] for hit in hits}
    what_ifs: dict[str, Any] = {}
    fusions = [_what_ifs(passages["keyword"][i], passages["semantic"][i],
                         questions[i]["question"]) for i in range(len(questions))]
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
        print(f"  what-if {label:<44} ndcg@10 {what_ifs[label]['ndcg@10']:.3f}", flush=True)
    by_mode["fusion_what_ifs"] = what_ifs
    halves: dict[str, Any] = {}
    for half, start in (("even", 0), ("odd", 1)):
        halves[half] = {mode: round(sum(q["ndcg@10"] for q in by_mode[mode]["questions"][
            start::2]) / len(by_mode[mode]["questions"][start::2]), 4)
            for mode in ("keyword", "semantic", "hybrid")}
    by_mode["ndcg@10_by_half"] = halves
    print(f"  by half: {halves}", flush=True)
    return by_mode


def run(question_set: QuestionSet, variant: str, questions: list[dict[str, Any]], *,
        threads: int, timeout: float, runtime: str, tantivy: bool = False) -> dict[str, Any]:
    corpus = question_set.corpus()
    check_questions(questions, corpus)
    pages = sorted(corpus.files)
    with tempfile.TemporaryDirectory(prefix="casework-bench-docs-") as tmp, \
            temporary_runtime(worker_threads=threads, embedding_runtime=runtime,
                              entity_extraction=False) as bench:
        # Entities rank nothing: extracting them only lengthens the wait for the last job.
        calibration = calibrate_embedder(bench.runtime.embedder)
        sources: list[tuple[str, Path]] = []
        for page in pages:
            source = corpus.root / corpus.files[page]
            target = Path(tmp) / corpus.files[page]
            target.parent.mkdir(parents=True, exist_ok=True)
            if variant == "main-content":
                main_content_copy(source, target)
            else:
                shutil.copyfile(source, target)
            sources.append((page, target))
        print(f"{question_set.name}: ingesting {len(sources)} pages ({variant}) …", flush=True)
        started = time.perf_counter()
        page_of: dict[str, str] = {}
        for page, path in sources:
            document_id, duplicate = store_file(bench, path)
            if duplicate:
                print(f"  {page} is a copy of {page_of[document_id]}: counted as that page")
                continue
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
        engine = "tantivy" if bench.runtime.settings.uses_tantivy else "fts5"
        modes = evaluate(bench, questions, page_of, depth,
                         dump=PASSAGES_DIR / f"{question_set.name}-{runtime}-{variant}.json")
        by_engine = {engine: modes}
        if tantivy:
            for name, options in TANTIVY_VARIANTS.items():
                by_engine[name] = _evaluate_tantivy(bench, questions, page_of, depth,
                                                    name=name, **options)
    return {"question_set": question_set.name, "corpus": corpus.description,
            "variant": variant, "embedding_runtime": runtime, "keyword_engine": engine,
            "calibration": calibration, "pages": len(pages), "chunks": chunks,
            "ingest_seconds": round(ingest_seconds, 1), "passages_per_query": depth,
            "modes": modes, "modes_by_keyword_engine": by_engine}


# Beside the runtime's engine: tantivy in its own order (one-byte passage lengths, as
# shipped until exact rescoring), and rescored with Lucene's IDF.
TANTIVY_VARIANTS: dict[str, dict[str, Any]] = {
    "tantivy, own order (FTS5 IDF)": {"fts5_idf": True, "rescore_depth": 0},
    "tantivy, Lucene IDF, rescored": {"fts5_idf": False},
}


def _evaluate_tantivy(bench: Any, questions: list[dict[str, Any]], page_of: dict[str, str],
                      depth: int, *, name: str, **options: Any) -> dict[str, Any]:
    """The same passages and questions with KEYWORD_ENGINE=tantivy: its index is built
    from the chunks just ingested and swapped into the runtime (no second ingest)."""
    from casework.search.tantivy_index import TantivyKeywordIndex

    runtime = bench.runtime
    index = TantivyKeywordIndex(directory=runtime.settings.data_dir / "index" / "keyword",
                                sessions=runtime.sessions, read_sessions=runtime.read_sessions,
                                **options)
    with transaction(runtime.sessions) as session:
        index.prepare(session)
    index.catch_up()
    fts5, runtime.keyword_index = runtime.keyword_index, index
    try:
        print(f"  keyword engine: {name}", flush=True)
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
    parser.add_argument("--set", dest="sets", default="python_docs",
                        help=f"question set(s), comma-separated, or all: {', '.join(SETS)} "
                        "(default python_docs)")
    parser.add_argument("--name", default=None, help="results file name (default quality for "
                        "python_docs, quality_<set> for the others; with several sets, "
                        "<name>_<set>)")
    args = parser.parse_args(argv)
    names = list(SETS) if args.sets == "all" else args.sets.split(",")
    unknown = [name for name in names if name not in SETS]
    if unknown:
        raise SystemExit(f"unknown question sets: {unknown}; known: {list(SETS)}")
    variants = ["as-is", "main-content"] if args.variant == "both" else [args.variant]
    runtimes = ["onnx", "torch"] if args.runtime == "both" else [args.runtime]
    for name in names:
        question_set = SETS[name]
        if name != "python_docs" and variants != ["as-is"]:
            raise SystemExit("--variant main-content is for python_docs (Sphinx pages) only")
        questions = load_questions(question_set.questions_file)
        runs = [run(question_set, v, questions, threads=args.threads, timeout=args.timeout,
                    runtime=r, tantivy=args.tantivy) for r in runtimes for v in variants]
        for result in runs:
            modes = result["modes"]
            hybrid = modes["hybrid"]["mean"]["ndcg@10"]
            best = max(modes[m]["mean"]["ndcg@10"] for m in ("keyword", "semantic"))
            result["hybrid_at_least_best_single_mode"] = hybrid >= best
            result["hybrid_within_0.01_of_best_single_mode"] = hybrid >= best - 0.01
        if args.name:
            file_name = args.name if len(names) == 1 else f"{args.name}_{name}"
        else:
            file_name = "quality" if name == "python_docs" else f"quality_{name}"
        out = write_results(file_name, {
            "method": f"{runs[0]['corpus']}, ingested through casework's pipeline; questions "
                      "written for this benchmark; passages ranked by "
                      "casework.search.service.search and collapsed to pages by first "
                      "appearance",
            "question_set": name,
            "questions_file": str(question_set.questions_file.relative_to(
                question_set.questions_file.parents[2])),
            "questions": len(questions), "anchors_ndcg@10": ANCHORS, "runs": runs,
            "peak_rss_mib": mib(peak_rss_bytes()),
        })
        print(f"\nresults: {out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
