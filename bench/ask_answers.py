"""Ask on the embedded default: answer latency, and the threshold for "not found".

    apt-get install -y python3.11-doc          # once: the manuals as HTML
    flock /tmp/casework-bench.lock .venv/bin/python bench/ask_answers.py

The Python manuals of bench/quality.py are ingested through the real pipeline (SQLite, ONNX
embeddings, on-disk vector index) on a temporary DATA_DIR. Then every question of
bench/questions/python_docs.jsonl (the manuals answer each; the file names the pages that do)
and of bench/questions/unanswerable_python_docs.jsonl (questions the manuals do not answer,
several about a criminal case, as casework's users would ask) is asked through
`casework.ask.service`, the calls the API makes, with the answer cache off, one at a time.

Latency is the whole answer (hybrid retrieval, sentence split, embedding of the candidate
sentences, scoring), after one warm-up question. `--data-dir DIR` keeps the ingested manuals
in DIR and reuses them on the next run, so the questions can be timed again (under the
benchmark lock) without ingesting again. The threshold is read from the best
sentence's confidence: each question is asked with the threshold at 0, and the table gives,
for each candidate threshold, the share of answerable questions answered from a page that
answers them and the share of unanswerable ones refused. The same is done for the
keyword-only scoring (no vectors), from the same passages. Results: bench/results/ask.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from casework.ask import service as ask_service
from casework.ask.extractive import choose_sentences
from casework.bootstrap import build_runtime, prepare, start_workers
from casework.collections import service as collections_service
from casework.collections.models import CollectionKind
from casework.core.database import transaction
from casework.core.settings import Settings, load_settings
from casework.workspaces import service as workspaces_service
from harness import (
    BenchRuntime,
    calibrate_embedder,
    percentile,
    store_file,
    temporary_runtime,
    wait_for_documents,
    write_results,
)
from quality import DOCS_ROOT, corpus_pages, load_questions

NEGATIVES = Path(__file__).resolve().parent / "questions" / "unanswerable_python_docs.jsonl"
THRESHOLDS = [round(0.30 + 0.025 * i, 3) for i in range(17)]


@contextmanager
def kept_runtime(data_dir: Path, **overrides: Any) -> Iterator[BenchRuntime]:
    """A runtime on DATA_DIR `data_dir`, kept after the run (its "bench" collection too)."""
    settings = load_settings(data_dir=data_dir, database_url=None,
                             admin_email="bench@example.com",
                             admin_password="bench-password-not-secret", **overrides)
    runtime = build_runtime(settings)
    try:
        prepare(runtime)
        with transaction(runtime.sessions) as session:
            workspace = workspaces_service.ensure_default_workspace(
                session=session, name=settings.default_workspace_name)
            rows, _ = collections_service.list_collections(
                session=session, workspace_id=workspace.id, kind=None, limit=10, offset=0)
            collection = next((c for c in rows if c.name == "bench"), None) or \
                collections_service.create_collection(
                    session=session, workspace_id=workspace.id, name="bench",
                    kind=CollectionKind.case)
            ids = workspace.id, collection.id
        yield BenchRuntime(runtime, ids[0], ids[1], data_dir)
    finally:
        runtime.close()


def ingest_manuals(bench: BenchRuntime, timeout: float) -> dict[str, str]:
    """Document id -> manual page; read back from DATA_DIR when an earlier run ingested."""
    saved = bench.data_dir / "ask-bench-pages.json"
    if saved.exists():
        print(f"reusing the manuals ingested in {bench.data_dir}", flush=True)
        return json.loads(saved.read_text())
    started = time.perf_counter()
    page_of: dict[str, str] = {}
    for page in corpus_pages():
        document_id, _ = store_file(bench, DOCS_ROOT / page)
        page_of[document_id] = page
    start_workers(bench.runtime)
    progress = wait_for_documents(bench, list(page_of), started=started, timeout=timeout)
    print(f"ingested {len(page_of)} pages in {time.perf_counter() - started:.0f} s", flush=True)
    if progress.failed:
        raise SystemExit(f"documents failed: {progress.failed}")
    if bench.runtime.workers is not None:  # nothing left to run: questions alone
        bench.runtime.workers.stop()
        bench.runtime.workers = None
    saved.write_text(json.dumps(page_of))
    return page_of


def load_negatives() -> list[dict[str, Any]]:
    with open(NEGATIVES) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def ask_one(bench: Any, text: str) -> tuple[ask_service.Answer, float, Any]:
    """The answer at threshold 0, its wall time in ms, and the keyword-only extract."""
    runtime = bench.runtime
    started = time.perf_counter()
    with transaction(runtime.read_sessions) as session:
        prepared = ask_service.prepare(session=session, runtime=runtime,
                                       workspace_id=bench.workspace_id,
                                       question=ask_service.Question(text=text))
    answer = ask_service.answer_question(runtime=runtime, prepared=prepared)
    took = (time.perf_counter() - started) * 1000
    keyword_only = choose_sentences(question=text, passages=prepared.passages, embed=None,
                                    min_confidence=0.0)
    return answer, took, keyword_only


def table(rows: list[dict[str, Any]], key: str, right: str) -> list[dict[str, float]]:
    positives = [r for r in rows if r["answerable"]]
    negatives = [r for r in rows if not r["answerable"]]
    out = []
    for threshold in THRESHOLDS:
        answered_right = sum(1 for r in positives if r[key] >= threshold and r[right])
        answered = sum(1 for r in positives if r[key] >= threshold)
        refused = sum(1 for r in negatives if r[key] < threshold)
        out.append({"threshold": threshold,
                    "answerable_answered": round(answered / len(positives), 3),
                    "answerable_answered_from_a_right_page":
                        round(answered_right / len(positives), 3),
                    "unanswerable_refused": round(refused / len(negatives), 3),
                    "balanced": round((answered_right / len(positives)
                                       + refused / len(negatives)) / 2, 3)})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2, help="worker threads for ingest")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--name", default="ask")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="keep the ingested manuals here and reuse them next time")
    parser.add_argument("--max-candidates", type=int, default=None,
                        help="what-if: sentences scored per question (default: the shipped "
                             "ask.extractive.MAX_CANDIDATES)")
    parser.add_argument("--skip-questions", action="store_true",
                        help="only ingest (into --data-dir), ask nothing")
    args = parser.parse_args(argv)
    if not DOCS_ROOT.is_dir():
        raise SystemExit(f"{DOCS_ROOT} is missing: apt-get install -y python3.11-doc")
    positives, negatives = load_questions(), load_negatives()
    if args.max_candidates is not None:
        from casework.ask import extractive

        extractive.MAX_CANDIDATES = args.max_candidates
    overrides = {"worker_threads": args.threads, "ask_cache_seconds": 0,
                 "ask_min_confidence": 0.0}
    if args.data_dir:
        args.data_dir.mkdir(parents=True, exist_ok=True)
    runtime_context = (kept_runtime(args.data_dir, **overrides) if args.data_dir
                       else temporary_runtime(**overrides))
    with runtime_context as bench:
        page_of = ingest_manuals(bench, args.timeout)
        calibration = calibrate_embedder(bench.runtime.embedder)
        if args.skip_questions:
            return 0
        ask_one(bench, "warm-up: how do I read a file?")
        rows = []
        for question in positives + negatives:
            answer, took, keyword_only = ask_one(bench, question["question"])
            relevant = set(question.get("relevant", []))
            cited = [page_of.get(c.document_id or "") for c in answer.citations]
            cited_keyword = [page_of.get(q.document_id or "") for q in keyword_only.quotes]
            rows.append({
                "id": question["id"], "answerable": bool(relevant), "took_ms": round(took, 1),
                "confidence": answer.confidence,
                "keyword_only_confidence": keyword_only.confidence,
                "cited_pages": cited, "cites_relevant_page": bool(relevant & set(cited)),
                "keyword_only_cites_relevant_page": bool(relevant & set(cited_keyword)),
                "answer": answer.answer[:300]})
        latencies = [r["took_ms"] for r in rows]
    combined = table(rows, "confidence", "cites_relevant_page")
    keyword = table(rows, "keyword_only_confidence", "keyword_only_cites_relevant_page")
    best = max(combined, key=lambda r: (r["balanced"], -abs(r["threshold"] - 0.5)))
    print(f"latency ms: p50 {percentile(latencies, 50):.0f}  p95 {percentile(latencies, 95):.0f}"
          f"  max {max(latencies):.0f}  ({len(rows)} questions)")
    for row in combined:
        print("  combined ", row)
    for row in keyword:
        print("  keyword  ", row)
    print(f"best balanced threshold (combined): {best}")
    out = write_results(args.name, {
        "method": "Python 3.11 manuals through casework's pipeline (SQLite, ONNX embedder); "
                  "each question asked through casework.ask.service at threshold 0, cache off",
        "embedder_calibration": calibration,
        "questions": {"answerable": len(positives), "unanswerable": len(negatives)},
        "latency_ms": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
                       "max": max(latencies), "mean": round(sum(latencies) / len(rows), 1)},
        "thresholds_combined": combined, "thresholds_keyword_only": keyword,
        "best_balanced_combined": best,
        "threshold_shipped": Settings.model_fields["ask_min_confidence"].default,
        "max_candidates": args.max_candidates or "shipped",
        "per_question": rows})
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
