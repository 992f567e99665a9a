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
sentences, scoring), after one warm-up question, with its stages (bench/ask_padding.py);
each question is asked of the whole workspace and of the manuals' collection in turn.
`--data-dir DIR` keeps the ingested manuals in DIR and reuses them on the next run, so the
questions can be timed again (under the benchmark lock) without ingesting again.
`--pad-chunks 100000` then grows the workspace to that many chunks with the search
benchmarks' corpus, in a collection of its own or (`--pad-into same`) in the manuals' one;
pad a copy of the kept DIR, one copy per way:

    cp -a /tmp/ask /tmp/ask-other
    flock /tmp/casework-bench.lock .venv/bin/python bench/ask_answers.py \\
        --data-dir /tmp/ask-other --pad-chunks 100000 --pad-into other

The threshold is read from the best sentence's confidence: each question is asked with
the threshold at 0, and the table gives, for each candidate threshold, the share of
answerable questions answered from a page that answers them and the share of unanswerable
ones refused (asked of the whole workspace). The same is done for the keyword-only scoring
(no vectors), from the same passages. Results: bench/results/ask.json (`--name`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from ask_padding import (
    PAD_INTO,
    STAGES,
    TimedEmbedder,
    ask_timed,
    count_chunks,
    ingest_pages,
    pad_workspace,
)
from casework.ask.extractive import choose_sentences
from casework.core.settings import Settings
from harness import (
    BenchRuntime,
    calibrate_embedder,
    percentile,
    temporary_runtime,
    write_results,
)
from quality import DOCS_ROOT, corpus_pages, load_questions

NEGATIVES = Path(__file__).resolve().parent / "questions" / "unanswerable_python_docs.jsonl"
THRESHOLDS = [round(0.30 + 0.025 * i, 3) for i in range(17)]


def ingest_manuals(bench: BenchRuntime, timeout: float) -> dict[str, str]:
    """Document id -> manual page; read back from DATA_DIR when an earlier run ingested."""
    return ingest_pages(bench, {page: DOCS_ROOT / page for page in corpus_pages()},
                        timeout=timeout)


def load_negatives() -> list[dict[str, Any]]:
    with open(NEGATIVES) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def summary(rows: list[dict[str, Any]], scope: str) -> dict[str, Any]:
    """p50/p95/max of each stage of the answers asked in `scope`."""
    out: dict[str, Any] = {}
    for stage in STAGES:
        values = [r["scopes"][scope][stage] for r in rows]
        out[stage] = {"p50": round(percentile(values, 50), 1),
                      "p95": round(percentile(values, 95), 1), "max": max(values)}
    embedded = [r["scopes"][scope]["sentences_embedded"] for r in rows]
    out["sentences_embedded_mean"] = round(sum(embedded) / len(embedded), 1)
    return out


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
    parser.add_argument("--pad-chunks", type=int, default=0,
                        help="grow the workspace to this many chunks after the manuals")
    parser.add_argument("--pad-into", choices=PAD_INTO, default="other",
                        help="the padding's collection: its own, or the manuals' one")
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
    load_before = [round(x, 2) for x in os.getloadavg()]
    overrides = {"worker_threads": args.threads, "ask_cache_seconds": 0,
                 "search_cache_seconds": 0, "ask_min_confidence": 0.0,
                 "admin_password": "bench-password-not-secret"}
    with temporary_runtime(keep_in=args.data_dir, **overrides) as bench:
        page_of = ingest_manuals(bench, args.timeout)
        padding = (pad_workspace(bench, target=args.pad_chunks, into=args.pad_into)
                   if args.pad_chunks else None)
        chunks = count_chunks(bench)
        print(f"{chunks} chunks in the workspace; padding: {padding}", flush=True)
        calibration = calibrate_embedder(bench.runtime.embedder)
        print(f"embedder calibration: {calibration}", flush=True)
        if args.skip_questions:
            return 0
        bench.runtime.embedder = TimedEmbedder(bench.runtime.embedder)
        scopes = {"workspace": None, "collection": bench.collection_id}
        for scope in scopes.values():
            ask_timed(bench, "warm-up: how do I read a file?", collection_id=scope)
        rows = []
        for question in positives + negatives:
            text, relevant = question["question"], set(question.get("relevant", []))
            timed = {}
            for scope, collection_id in scopes.items():  # in turn: load hits both alike
                answer, prepared, timed[scope] = ask_timed(bench, text,
                                                           collection_id=collection_id)
                if scope == "workspace":
                    kept = answer, prepared
            answer, prepared = kept
            keyword_only = choose_sentences(question=text, passages=prepared.passages,
                                            embed=None, min_confidence=0.0)
            cited = [page_of.get(c.document_id or "") for c in answer.citations]
            cited_keyword = [page_of.get(q.document_id or "") for q in keyword_only.quotes]
            rows.append({
                "id": question["id"], "answerable": bool(relevant),
                "took_ms": timed["workspace"]["took_ms"], "scopes": timed,
                "confidence": answer.confidence,
                "keyword_only_confidence": keyword_only.confidence,
                "cited_pages": cited, "cites_relevant_page": bool(relevant & set(cited)),
                "keyword_only_cites_relevant_page": bool(relevant & set(cited_keyword)),
                "answer": answer.answer[:300]})
    load_after = [round(x, 2) for x in os.getloadavg()]
    latency = {scope: summary(rows, scope) for scope in scopes}
    combined = table(rows, "confidence", "cites_relevant_page")
    keyword = table(rows, "keyword_only_confidence", "keyword_only_cites_relevant_page")
    best = max(combined, key=lambda r: (r["balanced"], -abs(r["threshold"] - 0.5)))
    for scope, figures in latency.items():
        print(f"asked of the {scope}: " + "; ".join(
            f"{stage} p50 {f['p50']:.0f} p95 {f['p95']:.0f} max {f['max']:.0f}"
            for stage, f in figures.items() if isinstance(f, dict)))
    for row in combined:
        print("  combined ", row)
    for row in keyword:
        print("  keyword  ", row)
    print(f"best balanced threshold (combined): {best}; load {load_before} -> {load_after}")
    out = write_results(args.name, {
        "method": "Python 3.11 manuals through casework's pipeline (SQLite, ONNX embedder); "
                  "each question asked through casework.ask.service at threshold 0, cache off, "
                  "of the whole workspace and of the manuals' collection in turn",
        "embedder_calibration": calibration, "chunks": chunks, "padding": padding,
        "load_average_1_5_15": {"before": load_before, "after": load_after},
        "questions": {"answerable": len(positives), "unanswerable": len(negatives)},
        "latency_ms": latency,
        "thresholds_combined": combined, "thresholds_keyword_only": keyword,
        "best_balanced_combined": best,
        "threshold_shipped": Settings.model_fields["ask_min_confidence"].default,
        "max_candidates": args.max_candidates or "shipped",
        "per_question": rows})
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
