"""Entity extraction: precision and recall on a labelled sample, throughput, and its share
of ingest time.

    PYTHONPATH=src:bench .venv/bin/python bench/entities.py [--ingest-pdfs 12]

1. Quality: bench/entities/sample.txt (and heldout.txt, never used for tuning) hold
   documents written for this (letters, e-mails, minutes, invoices, statements, an order,
   news, a contract, logs) with every entity marked
   `[[kind|text]]` or `[[kind|text|normal form]]` (guidelines in bench/entities/README.md).
   The marks are stripped, the text goes through casework's extraction as one page with the
   document's date, and each kind gets precision, recall and F1: strict (same kind, same
   start and end) and overlapping (same kind, spans overlap). For the patterns the normal
   form is checked too. The plain texts and gold spans are written to sample.jsonl.
2. Throughput: pages/s and characters/s of `extract_pages` (the model and the patterns, as
   the job runs them, without the database) on real PDF pages (the two PDF manuals Debian
   ships on this machine) and on generated case-file prose, with the load average.
3. Share of ingest time: born-digital PDFs ingested by the job workers (ONNX embedding on,
   entities on); job-seconds per job kind from the job table; and the time to `ready` of a
   small upload sent while the bulk jobs (vectors, entities) are still queued, with entity
   extraction on and off.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from casework.core.database import transaction
from casework.core.settings import load_settings
from casework.documents.models import Document, DocumentStatus
from casework.entities.extraction import PageText, extract_pages, pattern_rules
from casework.entities.models import EntityMention
from casework.entities.recognizer import NameRecognizer
from casework.jobs.models import Job
from casework.search.chunking import normalize_page_text
from corpus import ProseWriter, write_pdf
from harness import BENCH_DIR, machine, store_file, temporary_runtime, write_results

SAMPLE = BENCH_DIR / "entities" / "sample.txt"
HELDOUT = BENCH_DIR / "entities" / "heldout.txt"
REAL_PDFS = [Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf"),
             Path("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf")]
MARK = re.compile(r"\[\[(\w+)\|([^|\]]+)(?:\|([^\]]+))?\]\]")
PATTERN_KINDS = ("email", "phone", "iban", "money", "date", "reference")


def load_sample(path: Path = SAMPLE) -> list[dict[str, Any]]:
    """Documents with their plain text, date and gold spans (offsets into the plain text)."""
    documents: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    lines: list[str] = []

    def close() -> None:
        if current is None:
            return
        marked = "\n".join(lines).strip("\n")
        text, gold, last = [], [], 0
        for match in MARK.finditer(marked):
            text.append(marked[last:match.start()])
            start = sum(len(t) for t in text)
            surface = match.group(2)
            text.append(surface)
            gold.append({"kind": match.group(1), "start": start, "end": start + len(surface),
                         "text": surface, "normal": match.group(3)})
            last = match.end()
        text.append(marked[last:])
        current.update(text="".join(text), entities=gold)
        documents.append(current)

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("### "):
            close()
            name, day = line[4:].split()
            current, lines = {"id": name, "date": day}, []
        elif line.startswith("#") and current is None:
            continue
        else:
            lines.append(line)
    close()
    return documents


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
            "tp": tp, "fp": fp, "fn": fn}


def evaluate(documents: list[dict[str, Any]], recognizer: NameRecognizer | None
             ) -> dict[str, Any]:
    rules = pattern_rules(load_settings(_env_file=None))
    strict: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    overlap: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    normal_ok: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    errors: list[dict[str, Any]] = []
    for document in documents:
        text = document["text"]
        [(_, found)] = extract_pages([PageText(1, text)], recognizer=recognizer, rules=rules,
                                     anchor=date.fromisoformat(document["date"]),
                                     max_chars=1_000_000)
        gold = document["entities"]
        exact = {(g["kind"], g["start"], g["end"]): g for g in gold}
        for f in found:
            assert text[f.start:f.end]  # offsets into the text
            g = exact.get((f.kind, f.start, f.end))
            if g is not None:
                strict[f.kind][0] += 1
                if g["normal"] is not None:
                    normal_ok[f.kind][1] += 1
                    if g["normal"] == f.key:
                        normal_ok[f.kind][0] += 1
                    else:
                        errors.append({"doc": document["id"], "kind": f.kind,
                                       "text": text[f.start:f.end], "normal": f.key,
                                       "expected": g["normal"], "error": "normal form"})
            else:
                strict[f.kind][1] += 1
                errors.append({"doc": document["id"], "kind": f.kind,
                               "text": text[f.start:f.end], "error": "false positive"})
            if any(g["kind"] == f.kind and g["start"] < f.end and f.start < g["end"]
                   for g in gold):
                overlap[f.kind][0] += 1
            else:
                overlap[f.kind][1] += 1
        found_exact = {(f.kind, f.start, f.end) for f in found}
        for g in gold:
            if (g["kind"], g["start"], g["end"]) not in found_exact:
                strict[g["kind"]][2] += 1
                errors.append({"doc": document["id"], "kind": g["kind"], "text": g["text"],
                               "error": "missed (strict)"})
            if not any(f.kind == g["kind"] and f.start < g["end"] and g["start"] < f.end
                       for f in found):
                overlap[g["kind"]][2] += 1
    kinds = sorted(set(strict) | set(overlap))

    def total(table: dict[str, list[int]], names: list[str] | tuple[str, ...]) -> dict:
        return _prf(*(sum(table[k][i] for k in names) for i in range(3)))

    names = ("person", "organisation", "place")
    return {
        "gold_entities": sum(len(d["entities"]) for d in documents),
        "gold_by_kind": {k: sum(1 for d in documents for g in d["entities"] if g["kind"] == k)
                         for k in kinds},
        "strict": {k: _prf(*strict[k]) for k in kinds} | {
            "all": total(strict, kinds), "names": total(strict, names),
            "patterns": total(strict, PATTERN_KINDS)},
        "overlap": {k: _prf(*overlap[k]) for k in kinds} | {
            "all": total(overlap, kinds), "names": total(overlap, names),
            "patterns": total(overlap, PATTERN_KINDS)},
        "normal_form_correct": {k: f"{ok}/{n}" for k, (ok, n) in sorted(normal_ok.items())},
        "errors": errors,
    }


def real_pdf_pages() -> list[str]:
    import pypdfium2

    pages = []
    for path in REAL_PDFS:
        if not path.exists():
            continue
        pdf = pypdfium2.PdfDocument(str(path))
        for page in pdf:
            pages.append(normalize_page_text(page.get_textpage().get_text_range()))
        pdf.close()
    return pages


def prose_pages(count: int) -> list[str]:
    writer = ProseWriter(seed=5)
    return ["\n\n".join(writer.paragraph() for _ in range(6)) for _ in range(count)]


def throughput(pages: list[str], recognizer: NameRecognizer | None, *, rounds: int = 3
               ) -> dict[str, Any]:
    rules = pattern_rules(load_settings(_env_file=None))
    texts = [PageText(i + 1, t) for i, t in enumerate(pages)]
    best = float("inf")
    cpu_best = float("inf")
    load = os.getloadavg()[0]
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(texts), 32):
            extract_pages(texts[i:i + 32], recognizer=recognizer, rules=rules,
                          anchor=date(2024, 1, 1), max_chars=200_000)
        best = min(best, time.perf_counter() - started)
        cpu_best = min(cpu_best, time.process_time() - cpu)
    chars = sum(len(t) for t in pages)
    return {"pages": len(pages), "chars": chars, "seconds": round(best, 3),
            "cpu_seconds": round(cpu_best, 3),
            "pages_per_s": round(len(pages) / best, 2),
            "chars_per_s": round(chars / best), "load_before": round(load, 2),
            "load_after": round(os.getloadavg()[0], 2)}


def _job_seconds(runtime: Any) -> dict[str, float]:
    with transaction(runtime.read_sessions) as session:
        rows = session.execute(select(Job.kind, Job.started_at, Job.finished_at)).all()
    seconds: dict[str, float] = defaultdict(float)
    for kind, started, finished in rows:
        if started and finished:
            seconds[kind] += (finished - started).total_seconds()
    return {k: round(v, 2) for k, v in sorted(seconds.items())}


def _wait(runtime: Any, ids: set[str], *, all_jobs: bool, timeout: float = 3600) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        with transaction(runtime.read_sessions) as session:
            ready = session.scalar(select(func.count()).select_from(Document).where(
                Document.id.in_(ids), Document.status.in_(
                    [DocumentStatus.ready, DocumentStatus.failed]))) or 0
            open_jobs = session.scalar(select(func.count()).select_from(Job).where(
                Job.status.in_(["queued", "running"]))) or 0
        if ready == len(ids) and (not all_jobs or not open_jobs):
            return time.perf_counter() - started
        time.sleep(0.05)
    raise TimeoutError("documents did not settle")


def ingest_share(pdfs: list[Path], probe: Path, *, entities: bool) -> dict[str, Any]:
    """Ingest the PDFs with workers; once they are keyword-ready, upload the probe and time
    it to `ready` while the bulk jobs run; then wait for everything."""
    from casework.bootstrap import start_workers

    with temporary_runtime(worker_threads=2, semantic_search=True,
                           entity_extraction=entities) as bench:
        runtime = bench.runtime
        start_workers(runtime)
        started = time.perf_counter()
        ids = {store_file(bench, pdf)[0] for pdf in pdfs}
        runtime.workers.notify(0)
        keyword_ready = _wait(runtime, ids, all_jobs=False)
        with transaction(runtime.read_sessions) as session:
            open_bulk = session.scalar(select(func.count()).select_from(Job).where(
                Job.status.in_(["queued", "running"]))) or 0
        probe_id = store_file(bench, probe)[0]
        runtime.workers.notify(0)
        probe_ready = _wait(runtime, {probe_id}, all_jobs=False)
        _wait(runtime, ids | {probe_id}, all_jobs=True)
        total = time.perf_counter() - started
        with transaction(runtime.read_sessions) as session:
            mentions = session.scalar(select(func.count()).select_from(EntityMention)) or 0
        seconds = _job_seconds(runtime)
        all_seconds = sum(seconds.values())
        return {"entities": entities, "documents": len(pdfs), "wall_seconds": round(total, 1),
                "keyword_ready_seconds": round(keyword_ready, 2),
                "bulk_jobs_open_when_probe_sent": open_bulk,
                "probe_ready_seconds": round(probe_ready, 3),
                "job_seconds": seconds,
                "entity_share_of_job_seconds": round(
                    seconds.get("extract_entities", 0.0) / all_seconds, 4) if all_seconds else 0,
                "mentions": mentions, "load_after": round(os.getloadavg()[0], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ingest-pdfs", type=int, default=12,
                        help="generated case-file PDFs (10 pages each) for the share; 0: skip")
    parser.add_argument("--name", default="entities")
    args = parser.parse_args()

    recognizer = NameRecognizer()
    started = time.perf_counter()
    assert recognizer.available, recognizer.off_reason
    load_seconds = time.perf_counter() - started
    qualities: dict[str, dict[str, Any]] = {}
    for name, path in (("sample", SAMPLE), ("heldout", HELDOUT)):
        documents = load_sample(path)
        path.with_suffix(".jsonl").write_text("".join(
            json.dumps(d, ensure_ascii=False) + "\n" for d in documents), encoding="utf-8")
        quality = qualities[name] = evaluate(documents, recognizer)
        qualities[f"{name}_patterns_only"] = evaluate(documents, None)
        print(f"{name}: {quality['gold_entities']} gold entities in {len(documents)} documents")
        for match in ("strict", "overlap"):
            for kind, row in quality[match].items():
                print(f"  {match:8} {kind:13} P {row['precision']:.3f}  R {row['recall']:.3f}"
                      f"  F1 {row['f1']:.3f}  (tp {row['tp']}, fp {row['fp']}, fn {row['fn']})")
        print("  normal forms:", quality["normal_form_correct"])

    real = real_pdf_pages()
    speed = {"real_pdf_pages": throughput(real, recognizer),
             "real_pdf_pages_patterns_only": throughput(real, None),
             "case_prose_pages": throughput(prose_pages(200), recognizer),
             "case_prose_pages_patterns_only": throughput(prose_pages(200), None)}
    for name, row in speed.items():
        print(f"  {name:32} {row['pages_per_s']:8.1f} pages/s  {row['chars_per_s']:>9} chars/s"
              f"  ({row['pages']} pages, load {row['load_before']})")

    share = []
    if args.ingest_pdfs:
        with tempfile.TemporaryDirectory(prefix="entities-bench-") as tmp:
            folder = Path(tmp)
            writer = ProseWriter(seed=21)
            pdfs = []
            for i in range(args.ingest_pdfs):
                path = folder / f"case-{i:03d}.pdf"
                write_pdf(path, pages=10, writer=writer, title=f"Case file {i}")
                pdfs.append(path)
            probe = folder / "probe.txt"
            probe.write_text("A late upload from Anna Kowalski in Leeds, 3 March 2024.")
            for entities in (True, False):
                row = ingest_share(pdfs, probe, entities=entities)
                share.append(row)
                print(f"  ingest, entities {'on' if entities else 'off'}: "
                      f"{row['job_seconds']}, share {row['entity_share_of_job_seconds']}, "
                      f"probe ready in {row['probe_ready_seconds']} s")

    out = write_results(args.name, {
        "machine": machine(), "model_load_seconds": round(load_seconds, 2),
        "quality": {name: {k: v for k, v in q.items() if k != "errors"}
                    for name, q in qualities.items()},
        "errors": {name: q["errors"] for name, q in qualities.items()
                   if not name.endswith("patterns_only")},
        "throughput": speed, "ingest": share})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
