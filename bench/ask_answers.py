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
sentences, scoring), after one warm-up question. The threshold is read from the best
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
from pathlib import Path
from typing import Any

from casework.ask import service as ask_service
from casework.ask.extractive import KEYWORD_ONLY_MIN_CONFIDENCE, choose_sentences
from casework.bootstrap import start_workers
from casework.core.database import transaction
from harness import (
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


def load_negatives() -> list[dict[str, Any]]:
    with open(NEGATIVES) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def ask_one(bench: Any, text: str) -> tuple[ask_service.Answer, float, float]:
    """The answer at threshold 0, its wall time in ms, and the keyword-only confidence."""
    runtime = bench.runtime
    started = time.perf_counter()
    with transaction(runtime.read_sessions) as session:
        prepared = ask_service.prepare(session=session, runtime=runtime,
                                       workspace_id=bench.workspace_id,
                                       question=ask_service.Question(text=text))
    answer = ask_service.answer_question(runtime=runtime, prepared=prepared)
    took = (time.perf_counter() - started) * 1000
    keyword_only = choose_sentences(question=text, passages=prepared.passages, embed=None,
                                    min_confidence=0.0).confidence
    return answer, took, keyword_only


def table(rows: list[dict[str, Any]], key: str) -> list[dict[str, float]]:
    positives = [r for r in rows if r["answerable"]]
    negatives = [r for r in rows if not r["answerable"]]
    out = []
    for threshold in THRESHOLDS:
        answered_right = sum(1 for r in positives
                             if r[key] >= threshold and r["cites_relevant_page"])
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
    args = parser.parse_args(argv)
    if not DOCS_ROOT.is_dir():
        raise SystemExit(f"{DOCS_ROOT} is missing: apt-get install -y python3.11-doc")
    positives, negatives = load_questions(), load_negatives()
    with temporary_runtime(worker_threads=args.threads, ask_cache_seconds=0,
                           ask_min_confidence=0.0) as bench:
        calibration = calibrate_embedder(bench.runtime.embedder)
        started = time.perf_counter()
        page_of: dict[str, str] = {}
        for page in corpus_pages():
            document_id, _ = store_file(bench, DOCS_ROOT / page)
            page_of[document_id] = page
        start_workers(bench.runtime)
        progress = wait_for_documents(bench, list(page_of), started=started,
                                      timeout=args.timeout)
        print(f"ingested {len(page_of)} pages in {time.perf_counter() - started:.0f} s",
              flush=True)
        if progress.failed:
            raise SystemExit(f"documents failed: {progress.failed}")
        if bench.runtime.workers is not None:  # nothing left to run: questions alone
            bench.runtime.workers.stop()
            bench.runtime.workers = None
        ask_one(bench, "warm-up: how do I read a file?")
        rows = []
        for question in positives + negatives:
            answer, took, keyword_only = ask_one(bench, question["question"])
            relevant = set(question.get("relevant", []))
            cited = [page_of.get(c.document_id or "") for c in answer.citations]
            rows.append({
                "id": question["id"], "answerable": bool(relevant), "took_ms": round(took, 1),
                "confidence": answer.confidence, "keyword_only_confidence": keyword_only,
                "cited_pages": cited, "cites_relevant_page": bool(relevant & set(cited)),
                "answer": answer.answer[:300]})
        latencies = [r["took_ms"] for r in rows]
    combined, keyword = table(rows, "confidence"), table(rows, "keyword_only_confidence")
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
        "keyword_only_threshold_shipped": KEYWORD_ONLY_MIN_CONFIDENCE,
        "per_question": rows})
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
