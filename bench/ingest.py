"""Ingest throughput end to end, where the time goes, and peak memory on one huge file.

    .venv/bin/python bench/ingest.py                      # generated PDFs + a 200 MB text file
    .venv/bin/python bench/ingest.py --folder ~/papers    # also any folder of your own
    .venv/bin/python bench/ingest.py --no-generated --large-mb 0 --small-files 10000 \
        --threads 2 --stand-in-embedder --name ingest_small_files   # memory, 10,000 files

Every scenario runs in a fresh process (so its peak RSS is its own) on a temporary
DATA_DIR, through the same calls as `casework ingest`: copy + hash + accept_uploads, then
the durable jobs process_document (extract → chunk → keyword index) and embed_document
(embed → store vectors → vector index) run by casework's WorkerPool. Stage times come from
timers wrapped around the pipeline's seams from the outside (bench/stage_timing.py).
Results: bench/results/ingest.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

import corpus
from harness import (
    CACHE_DIR,
    MemoryWatch,
    calibrate_embedder,
    mib,
    peak_rss_bytes,
    rss_bytes,
    store_file,
    temporary_runtime,
    wait_for_documents,
    write_results,
)
from ingest_probes import StandInEmbedder, WriterProbe

EMBEDDING_STAGE = "embed (model)"


def run_isolated(fn: Any, *args: Any) -> Any:
    """Run `fn` in a fresh interpreter so peak RSS and imports are the scenario's own."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def _counts(bench: Any) -> dict[str, int]:
    from sqlalchemy import func, select

    from casework.core.database import transaction
    from casework.documents.models import Document
    from casework.search.models import Chunk, Embedding

    with transaction(bench.runtime.read_sessions) as session:
        return {
            "documents": session.scalar(select(func.count()).select_from(Document)) or 0,
            "pages": session.scalar(select(func.coalesce(func.sum(Document.page_count), 0))) or 0,
            "chunks": session.scalar(select(func.count()).select_from(Chunk)) or 0,
            "chunk_chars": session.scalar(
                select(func.coalesce(func.sum(func.length(Chunk.text)), 0))) or 0,
            "embeddings": session.scalar(select(func.count()).select_from(Embedding)) or 0,
        }


def ingest_folder(label: str, folder: str, threads: int, timeout: float,
                  stand_in: bool = False) -> dict[str, Any]:
    """One end-to-end run over every file under `folder` with `threads` worker threads.

    `stand_in`: the model is loaded and run once, then replaced by stand-in vectors (see
    StandInEmbedder): for memory runs whose embedding would take hours on this machine.
    """
    from casework.bootstrap import start_workers
    from casework.core.errors import CaseworkError
    from casework.search.embedder import SentenceTransformerEmbedder
    from stage_timing import StageClock, TimedEmbedder, breakdown, instrument

    clock = StageClock()
    files = sorted(p for p in Path(folder).rglob("*") if p.is_file()
                   and not p.name.startswith("."))
    inner: Any = StandInEmbedder() if stand_in else SentenceTransformerEmbedder(
        "all-MiniLM-L6-v2")
    with MemoryWatch() as watch, temporary_runtime(
            embedder=TimedEmbedder(inner, clock), worker_threads=threads) as bench:
        runtime = bench.runtime
        jobs = instrument(runtime, clock)
        # A long-running worker loads the model once; its load is reported, not counted.
        watch.enter("model load")
        started = time.perf_counter()
        if stand_in:
            inner.warm()
        else:
            inner.embed(["warm up the model"])
        model_load = time.perf_counter() - started
        calibration = None if stand_in else calibrate_embedder(inner)
        watch.enter("ingest")

        started = time.perf_counter()
        store_cpu = time.thread_time()
        document_ids: list[str] = []
        skipped: list[tuple[str, str]] = []
        for path in files:
            try:
                document_id, duplicate = store_file(bench, path)
            except (CaseworkError, OSError) as exc:
                skipped.append((str(path), getattr(exc, "message", None) or str(exc)))
                continue
            if not duplicate:
                document_ids.append(document_id)
        store_seconds = time.perf_counter() - started
        store_cpu = time.thread_time() - store_cpu
        start_workers(runtime, jobs)
        progress = wait_for_documents(bench, document_ids, started=started, timeout=timeout)
        total = time.perf_counter() - started
        runtime.workers.stop()  # type: ignore[union-attr]
        runtime.workers = None
        counts = _counts(bench)

    stages = {"store (copy, hash, sniff, blob, row, job)": round(store_seconds, 3),
              **breakdown(clock)}
    cpu_stages = {"store (copy, hash, sniff, blob, row, job)": round(store_cpu, 3),
                  **breakdown(clock, cpu=True)} if threads == 1 else None
    cpu_work = sum(cpu_stages.values()) if cpu_stages else 0.0
    work = sum(stages.values())
    pages = counts["pages"]
    result = {
        "label": label, "folder": folder, "worker_threads": threads, "calibration": calibration,
        "embedder": "stand-in vectors (model loaded and run once)" if stand_in else inner.name,
        "files": len(files), "bytes": sum(p.stat().st_size for p in files),
        "skipped": skipped, "failed": progress.failed, **counts,
        "seconds": {
            "end_to_end": round(total, 2), "store": round(store_seconds, 2),
            "until_keyword_searchable": round(progress.keyword_ready_at or 0.0, 2),
            "model_load_not_counted": round(model_load, 2),
        },
        "throughput": {
            "pages_per_s": round(pages / total, 2),
            "chunks_per_s": round(counts["chunks"] / total, 2),
            "docs_per_s": round(len(document_ids) / total, 3),
            "mb_per_s": round(sum(p.stat().st_size for p in files) / total / 1e6, 3),
            "keyword_pages_per_s": round(pages / (progress.keyword_ready_at or total), 2),
        },
        "stage_seconds": stages,
        "stage_seconds_sum": round(work, 2),
        "stage_share": {k: round(v / work, 4) if work else 0.0 for k, v in stages.items()},
        "non_embedding_share": round(1 - stages[EMBEDDING_STAGE] / work, 4) if work else None,
        "stage_cpu_seconds": cpu_stages,
        "non_embedding_share_by_cpu": round(1 - cpu_stages[EMBEDDING_STAGE] / cpu_work, 4)
            if cpu_stages and cpu_work else None,
        "embedding_passages_per_s": round(
            counts["embeddings"] / stages[EMBEDDING_STAGE], 2) if stages[EMBEDDING_STAGE] else None,
        "peak_rss_mib": mib(peak_rss_bytes()),
        "peak_rss_mib_by_phase": {k: mib(v) for k, v in watch.peaks.items()},
    }
    return result


LARGE_FILE_EXPANSION_ADD = 16


def _cheaper_index_build(index: Any) -> None:
    """Build the HNSW graph with a narrower search (expansion_add 16, not 128).

    expansion_add sets how hard each insertion searches for neighbours: build time and
    graph quality, not memory (the vectors and the links per node are the same). With it
    the 300,000-vector build of the large-file run takes minutes instead of ten or more.
    """
    new = index._new

    def narrow() -> Any:
        built = new()
        built.expansion_add = LARGE_FILE_EXPANSION_ADD
        return built

    index._new = narrow


def ingest_large_file(path: str) -> dict[str, Any]:
    """Store and process one huge file, job by job, sampling RSS in each phase."""
    from casework.jobs.worker import WorkerPool
    from stage_timing import StageClock, breakdown, instrument

    clock = StageClock()
    embedder = StandInEmbedder()
    seconds: dict[str, float] = {}
    other_writers: dict[str, Any] = {}
    # A file over the default upload limit (512 MiB) is what a user would raise it for.
    limit = max(512 * 1024 * 1024, Path(path).stat().st_size + 1)
    with MemoryWatch() as watch, temporary_runtime(embedder=embedder, worker_threads=1,
                                                    max_upload_bytes=limit) as bench:
        runtime = bench.runtime
        _cheaper_index_build(runtime.vector_index)
        jobs = instrument(runtime, clock)
        watch.enter("model loaded and run once")
        embedder.warm()
        baseline = watch.peaks["model loaded and run once"]
        # Finer phases inside embed_document: the first embed call ends the loading of
        # the document's chunk texts; the vector index add comes after every group is
        # embedded and all the document's vectors were read back from the database.
        embedder.on_first_call = lambda: watch.enter("embed_document: embed groups + reload")
        add = runtime.vector_index.add
        before_add: list[int] = []

        def add_with_phase(workspace_id: str, keys: np.ndarray, vectors: np.ndarray) -> None:
            before_add.append(rss_bytes())
            watch.enter("embed_document: vector index add")
            add(workspace_id, keys, vectors)

        runtime.vector_index.add = add_with_phase  # type: ignore[method-assign]
        # WorkerPool.run_one claims and runs the next job in this thread: the real job
        # path without background threads, so each phase below is exactly one job.
        pool = WorkerPool(runtime, jobs, threads=1)
        for job, phase, step in (
                ("store", "store", lambda: store_file(bench, Path(path))),
                ("process_document", "process_document", pool.run_one),
                ("embed_document", "embed_document: load chunk texts", pool.run_one)):
            watch.enter(phase)
            started = time.perf_counter()
            with WriterProbe(runtime) as probe:
                step()
            seconds[job] = round(time.perf_counter() - started, 2)
            other_writers[job] = probe.summary()
        watch.enter("done")
        counts = _counts(bench)
    return {
        "file": Path(path).name, "bytes": Path(path).stat().st_size, **counts,
        "seconds": seconds, "stage_seconds": breakdown(clock),
        "other_writers_during_each_job": other_writers,
        "peak_rss_mib": mib(peak_rss_bytes()),
        "hnsw_expansion_add": LARGE_FILE_EXPANSION_ADD,
        "baseline_rss_mib_after_model": mib(baseline),
        "rss_mib_when_vector_index_add_starts": mib(before_add[0]) if before_add else None,
        "peak_rss_mib_by_phase": {k: mib(v) for k, v in watch.peaks.items()},
    }


def generated_corpus(documents: int, pages: int, seed: int = 7) -> Path:
    """The PDF corpus, generated once and cached (generation is not what we measure)."""
    folder = CACHE_DIR / f"pdf-{documents}x{pages}-seed{seed}"
    marker = folder / ".complete"
    if not marker.exists():
        print(f"generating {documents} PDFs x {pages} pages into {folder} …", flush=True)
        started = time.perf_counter()
        chars = corpus.write_pdf_corpus(folder, documents=documents, pages=pages, seed=seed)
        marker.write_text(json.dumps({"chars": chars}))
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    return folder


def small_files(count: int, seed: int = 13) -> Path:
    """The small-notes corpus, generated once and cached."""
    folder = CACHE_DIR / f"small-{count}-seed{seed}"
    marker = folder / ".complete"
    if not marker.exists():
        print(f"generating {count} small files into {folder} …", flush=True)
        written = corpus.write_small_files(folder, count=count, seed=seed)
        marker.write_text(json.dumps({"bytes": written}))
    return folder


def _print_run(run: dict[str, Any]) -> None:
    t = run["throughput"]
    print(f"\n{run['label']} ({run['worker_threads']} worker threads): {run['documents']} docs, "
          f"{run['pages']} pages, {run['chunks']} chunks in {run['seconds']['end_to_end']} s"
          f" (keyword-searchable after {run['seconds']['until_keyword_searchable']} s)")
    print(f"  {t['pages_per_s']} pages/s, {t['chunks_per_s']} chunks/s, {t['docs_per_s']} docs/s;"
          f" peak RSS {run['peak_rss_mib']} MiB {run['peak_rss_mib_by_phase']}")
    for stage, secs in run["stage_seconds"].items():
        print(f"  {stage:<50} {secs:8.2f} s  {run['stage_share'][stage]:6.1%}")
    print(f"  everything but the model: {run['non_embedding_share']:.1%} of the work (wall)")
    if run["non_embedding_share_by_cpu"] is not None:
        print(f"  everything but the model: {run['non_embedding_share_by_cpu']:.1%} of the CPU")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", type=Path, action="append", default=[],
                        help="also ingest every file under this folder (repeatable)")
    parser.add_argument("--documents", type=int, default=50, help="generated PDFs")
    parser.add_argument("--pages", type=int, default=20, help="pages per generated PDF")
    parser.add_argument("--threads", default="1",
                        help="worker thread counts to run each corpus with, e.g. 1,2 (default 1)")
    parser.add_argument("--large-mb", type=int, default=200,
                        help="size of the single large text file; 0 skips that run")
    parser.add_argument("--no-generated", action="store_true",
                        help="skip the generated PDF corpus (only --folder and the large file)")
    parser.add_argument("--small-files", type=int, default=0,
                        help="also ingest this many generated small notes (e.g. 10000)")
    parser.add_argument("--stand-in-embedder", action="store_true",
                        help="stand-in vectors instead of the model (memory runs)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    parser.add_argument("--name", default="ingest", help="results file name")
    args = parser.parse_args(argv)
    threads = [int(t) for t in args.threads.split(",") if t.strip()]

    corpora: list[tuple[str, Path]] = []
    if not args.no_generated:
        corpora.append((f"generated PDFs {args.documents}x{args.pages} pages",
                        generated_corpus(args.documents, args.pages)))
    if args.small_files:
        corpora.append((f"{args.small_files} small files", small_files(args.small_files)))
    for folder in args.folder:
        if not folder.is_dir():
            parser.error(f"{folder} is not a folder")
        corpora.append((f"folder {folder.name}", folder.resolve()))

    runs = []
    for label, folder in corpora:
        for count in threads:
            print(f"\n== {label}, {count} worker thread(s)", flush=True)
            try:
                run = run_isolated(ingest_folder, label, str(folder), count, args.timeout,
                                   args.stand_in_embedder)
            except BrokenProcessPool as exc:
                # The process died (a native crash): that is a result too.
                print(f"  the ingesting process died: {exc}", flush=True)
                runs.append({"label": label, "worker_threads": count,
                             "crashed": "the process died during ingest (native crash, "
                                        "e.g. SIGSEGV/abort); see the run's stderr"})
                continue
            _print_run(run)
            runs.append(run)

    large = None
    if args.large_mb:
        with tempfile.TemporaryDirectory(prefix="casework-bench-large-") as tmp:
            path = Path(tmp) / f"large-{args.large_mb}mb.txt"
            print(f"\n== one {args.large_mb} MB text file: memory", flush=True)
            corpus.write_large_text(path, megabytes=args.large_mb)
            large = run_isolated(ingest_large_file, str(path))
        print(f"  peak RSS {large['peak_rss_mib']} MiB; by phase {large['peak_rss_mib_by_phase']}")
        print(f"  seconds {large['seconds']}; {large['chunks']} chunks")
        print(f"  other writers meanwhile: {large['other_writers_during_each_job']}")

    out = write_results(args.name, {
        "method": "end to end through casework's services and job runner on a temporary "
                  "SQLite DATA_DIR; stage times from timers wrapped around the pipeline's "
                  "seams from outside src/ (bench/stage_timing.py); model load excluded",
        "runs": runs, "large_file": large,
        "targets": {"non_embedding_share_max": 0.25, "large_file_peak_rss_mib_max": 1536},
    })
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
