"""Ask's answer quality on the three question sets: precision@1 and verbatim citations.

    flock /tmp/casework-bench.lock .venv/bin/python bench/ask_quality.py --set all \\
        --data-root /tmp/askquality

Each set's corpus (bench/question_sets.py: the Python manuals, the Linux man pages, the
Debian Policy Manual and the FHS) is ingested through the real pipeline (embedded default:
SQLite, ONNX embedder, on-disk vector index) into DATA_ROOT/<set>, kept there so a rerun
asks again without ingesting (bench/ask_padding.py `ingest_pages`). Every question of
bench/questions/<set>.jsonl is then asked of the whole workspace through
`casework.ask.service` (the calls the API makes; the shipped threshold, the answer cache
off), one at a time after a warm-up question, and per question this records:

- answered or "not found", and the answer's latency (bench/ask_padding.py `ask_timed`);
- the first citation's page (document), and whether the question file names it as one
  that answers the question: precision@1 is the share of answered questions whose first
  citation is such a page; `any_citation_relevant` counts any cited page;
- for every citation, whether its `text` equals the stored page text[start:end] (the
  `document_page` row of its document and page number, what GET /documents/{id}/pages
  serves): the verbatim rate, which must be 100 %.

Results: bench/results/ask_quality_<set>.json (`--name` changes the prefix).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ask_padding import TimedEmbedder, ask_timed, count_chunks, ingest_pages
from casework.core.database import transaction
from casework.documents.models import DocumentPage
from harness import (
    BenchRuntime,
    calibrate_embedder,
    percentile,
    temporary_runtime,
    write_results,
)
from question_sets import SETS, check_questions, load_questions

WARM_UP = "warm-up: what does this material say about errors?"


def stored_page(bench: BenchRuntime, document_id: str, number: int) -> str | None:
    with transaction(bench.runtime.read_sessions) as session:
        return session.scalar(select(DocumentPage.text).where(
            DocumentPage.workspace_id == bench.workspace_id,
            DocumentPage.document_id == document_id, DocumentPage.number == number))


def check_citation(bench: BenchRuntime, citation: Any, page_of: dict[str, str]
                   ) -> dict[str, Any]:
    """One citation: its page, and whether its text is the stored page's text verbatim."""
    text = stored_page(bench, citation.document_id or "", citation.page)
    span = None if text is None else text[citation.start:citation.end]
    row = {"document": page_of.get(citation.document_id or ""), "page": citation.page,
           "start": citation.start, "end": citation.end, "verbatim": span == citation.text}
    if not row["verbatim"]:
        row["cited_text"], row["stored_text"] = citation.text[:300], (span or "")[:300]
    return row


def ask_set(bench: BenchRuntime, questions: list[dict[str, Any]],
            page_of: dict[str, str]) -> list[dict[str, Any]]:
    bench.runtime.embedder = TimedEmbedder(bench.runtime.embedder)
    ask_timed(bench, WARM_UP, collection_id=None)
    rows = []
    for number, question in enumerate(questions, start=1):
        answer, _, timed = ask_timed(bench, question["question"], collection_id=None)
        relevant = set(question["relevant"])
        citations = [check_citation(bench, c, page_of) for c in answer.citations]
        first = citations[0]["document"] if citations else None
        rows.append({
            "id": question["id"], "kind": question.get("kind"), "found": answer.found,
            "confidence": answer.confidence, "took_ms": timed["took_ms"],
            "first_citation": first, "first_citation_page": (citations[0]["page"]
                                                             if citations else None),
            "first_citation_relevant": first in relevant,
            "any_citation_relevant": bool(relevant & {c["document"] for c in citations}),
            "relevant": sorted(relevant), "citations": citations,
            "answer": answer.answer[:300]})
        if number % 20 == 0:
            print(f"  {number}/{len(questions)} asked", flush=True)
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    answered = [r for r in rows if r["found"]]
    citations = [c for r in rows for c in r["citations"]]
    verbatim = sum(1 for c in citations if c["verbatim"])
    took = [r["took_ms"] for r in rows]
    share = (lambda n, d: round(n / d, 4) if d else None)  # noqa: E731
    return {
        "questions": len(rows), "answered": len(answered),
        "answered_share": share(len(answered), len(rows)),
        "precision@1": share(sum(r["first_citation_relevant"] for r in answered),
                             len(answered)),
        "any_citation_relevant": share(sum(r["any_citation_relevant"] for r in answered),
                                       len(answered)),
        "first_citation_relevant_of_all_questions":
            share(sum(r["first_citation_relevant"] for r in rows), len(rows)),
        "citations": len(citations), "citations_verbatim": verbatim,
        "verbatim_rate": share(verbatim, len(citations)),
        "latency_ms": {"p50": round(percentile(took, 50), 1),
                       "p95": round(percentile(took, 95), 1), "max": max(took)},
    }


def run_set(name: str, data_root: Path, *, threads: int, timeout: float,
            prefix: str) -> dict[str, Any]:
    question_set = SETS[name]
    corpus = question_set.corpus()
    questions = load_questions(question_set.questions_file)
    check_questions(questions, corpus)
    load_before = [round(x, 2) for x in os.getloadavg()]
    overrides = {"worker_threads": threads, "ask_cache_seconds": 0, "search_cache_seconds": 0,
                 "entity_extraction": False,  # answers nothing; only lengthens ingest
                 "admin_password": "bench-password-not-secret"}
    with temporary_runtime(keep_in=data_root / name, **overrides) as bench:
        files = {page: corpus.root / corpus.files[page] for page in sorted(corpus.files)}
        page_of = ingest_pages(bench, files, timeout=timeout)
        chunks = count_chunks(bench)
        threshold = bench.runtime.settings.ask_min_confidence
        print(f"{name}: {len(page_of)} documents, {chunks} chunks; "
              f"{len(questions)} questions at threshold {threshold}", flush=True)
        loaded = [round(x, 2) for x in os.getloadavg()]
        calibration = calibrate_embedder(bench.runtime.embedder)  # the model's speed now
        rows = ask_set(bench, questions, page_of)
    load_after = [round(x, 2) for x in os.getloadavg()]
    figures = summarise(rows)
    print(f"{name}: {figures}", flush=True)
    for row in rows:
        for citation in row["citations"]:
            if not citation["verbatim"]:
                print(f"  NOT VERBATIM {row['id']}: {citation}", flush=True)
    out = write_results(f"{prefix}_{name}", {
        "method": f"{corpus.description}; ingested through casework's pipeline (SQLite, "
                  "ONNX embedder) and kept; each question asked of the whole workspace "
                  "through casework.ask.service (extractive, shipped threshold, cache off), "
                  "one at a time after a warm-up; each citation's text compared with the "
                  "stored page text[start:end]",
        "question_set": name, "documents": len(page_of), "chunks": chunks,
        "threshold": threshold, "data_dir": str(data_root / name),
        "embedder_calibration": calibration,
        "load_average_1_5_15": {"before_ingest": load_before, "before_questions": loaded,
                                "after": load_after},
        **figures, "per_question": rows})
    print(f"results: {out}", flush=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", dest="sets", default="all",
                        help=f"comma-separated, or all: {', '.join(SETS)}")
    parser.add_argument("--data-root", type=Path, default=Path("/tmp/casework-ask-quality"),
                        help="each set's DATA_DIR is DATA_ROOT/<set>, kept for reruns")
    parser.add_argument("--threads", type=int, default=2, help="worker threads for ingest")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--name", default="ask_quality", help="results file prefix")
    args = parser.parse_args(argv)
    names = list(SETS) if args.sets == "all" else args.sets.split(",")
    unknown = [name for name in names if name not in SETS]
    if unknown:
        raise SystemExit(f"unknown question sets: {unknown}; known: {list(SETS)}")
    failed = []
    for name in names:
        figures = run_set(name, args.data_root, threads=args.threads, timeout=args.timeout,
                          prefix=args.name)
        if figures["verbatim_rate"] not in (None, 1.0):
            failed.append(name)
    if failed:
        print(f"citations not verbatim in: {failed}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
