"""Time to first result: how soon after `casework ingest` starts is every page findable?

    .venv/bin/python bench/first_result.py                   # 264 real PDFs, 8,005 pages
    .venv/bin/python bench/first_result.py --until keyword   # stop once all is searchable

Runs the CLI exactly as a user would (`casework ingest FOLDER`, fresh DATA_DIR, embedded
default: SQLite, in-process jobs, semantic search on) over real PDFs (bench/debian_pdfs.py)
and reads the database every 0.2 s to time three moments from the command's start:
every document keyword-searchable (processed: its pages and chunks committed, or failed
with a reason), every document's previews made, every document embedded.

Then the embedding phase against the model's raw speed on the same tokens: the distinct
texts casework embedded are read back from the database and a sample of them embedded
again in this process by the same embedder class, with nothing else running (see
`raw_model`). The ratio of casework's embedding phase (first embedding job started → last
finished) to the raw time for all those tokens is what the pipeline adds around the model
(reading, storing, indexing, job hand-offs, an idle core while one long job finishes).
Results: bench/results/first_result.json.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sqlite3
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

from debian_pdfs import pdf_corpus
from harness import machine, mib, write_results
from ingest_memory import TreeSampler, ingest_command

EMBED_KIND = "embed_document"


class PartsSampler(TreeSampler):
    """TreeSampler that also keeps, for its peak, each process's share, and the tree's
    cumulative CPU seconds over time (children that ended are counted by the kernel in
    their parent's children times only once waited for, so live ones are added here)."""

    def __init__(self, pid: int) -> None:
        self.peak_parts: list[tuple[str, float]] = []
        self.cpu_timeline: list[tuple[float, float]] = []
        super().__init__(pid)

    def sample(self) -> int:
        try:
            processes = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0
        parts: list[tuple[str, float]] = []
        cpu = 0.0
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                name = " ".join(process.cmdline()[1:3])[:60]
                parts.append((f"{process.pid} {name}", process.memory_info().rss))
                times = process.cpu_times()
                cpu += times.user + times.system
        if processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = self.root.cpu_times()
                cpu += times.children_user + times.children_system
        total = sum(rss for _, rss in parts)
        if total > self.peak:
            self.peak = total
            self.peak_parts = [(name, mib(rss)) for name, rss in parts]
        now = time.perf_counter() - self.started
        if not self.cpu_timeline or now - self.cpu_timeline[-1][0] >= 2:
            self.cpu_timeline.append((round(now, 1), round(cpu, 1)))
        return total
PREVIEW_KIND = "derive_previews"


def _counts(db: Path) -> dict[str, int] | None:
    """Documents, processed, with previews, embedded; None while the schema is not there."""
    if not db.exists():
        return None
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            documents, processed, embedded = con.execute(
                "SELECT count(*), sum(status IN ('ready', 'failed')), "
                "sum(embedding_status IN ('ready', 'failed', 'skipped')) FROM document"
            ).fetchone()
            waiting = con.execute(
                "SELECT count(*) FROM job WHERE kind = ? AND status IN ('queued', 'running')",
                (PREVIEW_KIND,)).fetchone()[0]
    except sqlite3.Error:
        return None  # not migrated yet, or busy
    processed = int(processed or 0)
    return {"documents": int(documents), "processed": processed,
            "previews": processed - int(waiting), "embedded": int(embedded or 0)}


def run_ingest(folder: Path, expected: int, *, until: str, timeout: float,
               runtime: str) -> tuple[dict[str, Any], Path]:
    data_dir, env, command = ingest_command(folder, runtime, "casework-bench-first-")
    db = data_dir / "casework.db"
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    sampler = PartsSampler(process.pid)
    moments: dict[str, float] = {}
    counts: dict[str, int] = {}
    timeline: list[tuple[float, int, int]] = []
    try:
        while process.poll() is None and time.perf_counter() - started < timeout:
            counts = _counts(db) or counts
            elapsed = time.perf_counter() - started
            if counts and counts["documents"] >= expected:
                for moment in ("processed", "previews", "embedded"):
                    if moment not in moments and counts[moment] >= expected:
                        moments[moment] = elapsed
            if counts and (not timeline or elapsed - timeline[-1][0] >= 2):
                timeline.append((round(elapsed, 1), counts["processed"], counts["embedded"]))
            if {"processed": "processed", "keyword": "processed", "previews": "previews",
                    "embedded": "embedded"}[until] in moments:
                break
            time.sleep(0.2)
    finally:
        sampler.stop()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
    stderr = process.communicate()[1] or ""
    counts = _counts(db) or counts
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        pages, failed = con.execute(
            "SELECT coalesce(sum(page_count), 0), sum(status = 'failed') FROM document"
        ).fetchone()
        chunks = con.execute("SELECT count(*) FROM chunk").fetchone()[0]
        reasons = [row[0] for row in con.execute(
            "SELECT error FROM document WHERE status = 'failed' LIMIT 5")]
    return {
        "exit_code": process.returncode, "stderr_tail": stderr[-600:],
        **counts, "failed": int(failed or 0), "failed_reasons": reasons,
        "pages": int(pages), "chunks": int(chunks), "peak_rss_mib": mib(sampler.peak),
        "peak_rss_parts_mib": sampler.peak_parts,
        "rss_timeline_mib": [(t, mib(rss)) for t, rss in sampler.timeline],
        "cpu_timeline_s": sampler.cpu_timeline,
        "seconds": {f"until_all_{name}": round(value, 1) for name, value in moments.items()},
        "timeline_s_processed_embedded": timeline,
    }, data_dir


def cpu_between(timeline: list[tuple[float, float]], start: float, end: float) -> float:
    """CPU seconds the process tree used between two moments (from its 2 s samples)."""
    def at(moment: float) -> float:
        before = [cpu for t, cpu in timeline if t <= moment]
        return before[-1] if before else 0.0
    return round(at(end) - at(start), 1)


def embedding_phase(db: Path) -> dict[str, Any]:
    """Casework's embedding phase from the job table, and the distinct texts it embedded."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        first, last, jobs = con.execute(
            "SELECT min(started_at), max(finished_at), count(*) FROM job "
            "WHERE kind = ? AND status = 'succeeded'", (EMBED_KIND,)).fetchone()
        texts = [row[0] for row in con.execute(
            "SELECT min(coalesce(c.embed_text, c.text)) FROM chunk c JOIN embedding e "
            "ON e.workspace_id = c.workspace_id AND e.content_hash = c.content_hash "
            "GROUP BY c.content_hash")]
        chunk_texts = [row[0] for row in con.execute(
            "SELECT coalesce(embed_text, text) FROM chunk")]
    seconds = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds()
    return {"jobs": jobs, "seconds": round(seconds, 1), "texts": texts,
            "chunk_texts": chunk_texts}


def raw_model(texts: list[str], runtime: str, *, sample: int) -> dict[str, Any]:
    """The model's own rate on these texts: the same embedder, called straight.

    On a random sample of the texts (every 1 in n, so lengths are as in the corpus): the
    whole corpus at one core's ~11 passages/s would take most of an hour per pass. Measured
    twice: one stream (one call at a time), and as many streams as casework runs worker
    threads (WORKER_THREADS, each call one intra-op thread, as in casework): the rate
    casework's phase is compared with. Seconds for all texts = all tokens / tokens per s.
    """
    from concurrent.futures import ThreadPoolExecutor

    from tokenizers import Tokenizer

    from casework.core.settings import Settings
    from casework.search.embedder_runtime import build_embedder
    from casework.search.model_tokenizer import load_tokenizer

    settings = Settings(embedding_runtime=runtime)
    embedder = build_embedder(settings)
    embedder.embed(["warm up"])
    # What the model reads: its own word pieces, cut at its window (special tokens included).
    tokenizer = Tokenizer.from_str(load_tokenizer(settings.embedding_model).to_str())
    tokenizer.enable_truncation(settings.embedding_max_seq_length)

    def tokens_of(some: list[str]) -> int:
        return sum(len(e.ids) for e in tokenizer.encode_batch(some))

    step = max(1, len(texts) // sample)
    chosen = texts[::step]
    groups = [chosen[start:start + 256] for start in range(0, len(chosen), 256)]
    sample_tokens = tokens_of(chosen)
    all_tokens = tokens_of(texts)

    started = time.perf_counter()
    for group in groups[: max(1, len(groups) // 2)]:
        embedder.embed(group)
    one_stream_rate = tokens_of([t for g in groups[: max(1, len(groups) // 2)] for t in g]) / (
        time.perf_counter() - started)

    streams = settings.worker_threads
    started, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(streams) as pool:
        list(pool.map(embedder.embed, groups))
    rate = sample_tokens / (time.perf_counter() - started)
    cpu_rate = sample_tokens / (time.process_time() - cpu)
    return {"tokens": all_tokens, "sample_texts": len(chosen), "sample_tokens": sample_tokens,
            "streams": streams, "tokens_per_s_one_stream": round(one_stream_rate),
            "tokens_per_s": round(rate), "seconds": round(all_tokens / rate, 1),
            "tokens_per_cpu_s": round(cpu_rate),
            "cpu_seconds": round(all_tokens / cpu_rate, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--min-files", type=int, default=250)
    parser.add_argument("--min-pages", type=int, default=8000)
    parser.add_argument("--until", choices=["keyword", "previews", "embedded"],
                        default="embedded")
    parser.add_argument("--runtime", default="onnx", help="EMBEDDING_RUNTIME")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--name", default="first_result")
    parser.add_argument("--raw-sample", type=int, default=3000,
                        help="texts the raw model rate is measured on")
    args = parser.parse_args()
    folder, corpus = pdf_corpus(min_files=args.min_files, min_pages=args.min_pages)
    print(f"corpus: {corpus['pdfs']} PDFs, {corpus['pages']:,} pages", flush=True)
    load = os.getloadavg()[0]
    run, data_dir = run_ingest(folder, corpus["pdfs"], until=args.until, timeout=args.timeout,
                               runtime=args.runtime)
    print(f"  {run['seconds']}  ({run['processed']} processed, {run['failed']} failed, "
          f"{run['pages']:,} pages, {run['chunks']:,} chunks, peak {run['peak_rss_mib']} MiB)",
          flush=True)
    results: dict[str, Any] = {"machine": machine(), "load_before": round(load, 2),
                               "corpus": corpus, "until": args.until,
                               "runtime": args.runtime, "run": run}
    if args.until == "embedded" and "until_all_embedded" in run["seconds"]:
        phase = embedding_phase(data_dir / "casework.db")
        texts = phase.pop("texts")
        chunk_texts = phase.pop("chunk_texts")
        raw = raw_model(texts, args.runtime, sample=args.raw_sample)
        # The phase's CPU: from when text and previews were all done (embedding had begun
        # a little earlier, so this slightly undercounts) to when all was embedded.
        seconds = run["seconds"]
        phase["cpu_seconds_after_previews"] = cpu_between(
            run["cpu_timeline_s"], seconds["until_all_previews"], seconds["until_all_embedded"])
        phase["wall_seconds_after_previews"] = round(
            seconds["until_all_embedded"] - seconds["until_all_previews"], 1)
        results["embedding"] = {
            "casework_phase": phase, "raw_model": raw, "distinct_texts": len(texts),
            "chunks": len(chunk_texts),
            "phase_over_raw": round(phase["seconds"] / raw["seconds"], 2)
            if raw["seconds"] else None}
        print(f"  embedding phase {phase['seconds']} s, raw model {raw['seconds']} s on the "
              f"same {len(texts):,} texts ({raw['tokens']} tokens): ratio "
              f"{results['embedding']['phase_over_raw']}", flush=True)
    shutil.rmtree(data_dir, ignore_errors=True)
    print(f"results: {write_results(args.name, results)}")


if __name__ == "__main__":
    main()
