"""Tenant fairness: how long one workspace's upload waits behind another's 10,000-document backlog.

    .venv/bin/python bench/tenant_fairness.py                        # 10,000 backlog, 9 probes
    .venv/bin/python bench/tenant_fairness.py --backlog 2000 --probes 3 --name quick

The embedded shape (SQLite, casework's WorkerPool with --threads threads), on a temporary
DATA_DIR, through the same calls as an upload (accept_uploads, then the durable jobs).
First the quiet workspace uploads one small text file at a time on the idle server: the
time from accepting it to `ready` is the baseline. Then the busy workspace uploads its
backlog (small text files, in requests of --batch files) and, while the workers drain it,
the quiet workspace uploads again, one file at a time. Last the backlog is dropped (its
jobs cancelled, as deleting its documents does) and the idle baseline measured again: the
machine's load drifts, so the ratio is against the median of all idle probes (both ratios
are in the results too). The target: the busy median under 2x the idle median.
Results: bench/results/<name>.json (and docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from casework.accounts.principal import Principal
from casework.bootstrap import start_workers
from casework.cli.ingest import spool_copy
from casework.collections import service as collections_service
from casework.collections.models import CollectionKind
from casework.core.database import transaction
from casework.documents.models import Document, DocumentStatus
from casework.ingest import service as ingest_service
from casework.jobs import claims as job_claims
from casework.jobs import service as jobs_service
from casework.jobs.models import Job, JobStatus
from casework.workspaces import service as workspaces_service
from harness import BenchRuntime, percentile, store_file, temporary_runtime, write_results

WORDS = ("barge harbour ledger inspector crate warehouse manifest cargo customs invoice "
         "shipment pallet dock crane tide berth").split()


def _text(n: int, tag: str) -> bytes:
    """A short, distinct memo (distinct bytes: the same bytes would be deduplicated)."""
    words = " ".join(WORDS[(n * 7 + i) % len(WORDS)] for i in range(120))
    return f"{tag} memo {n}\n\n{words}\n\nreference {tag}-{n}\n".encode()


def _quiet_workspace(bench: BenchRuntime) -> BenchRuntime:
    with transaction(bench.runtime.sessions) as session:
        workspace = workspaces_service.create_workspace(session=session, name="Quiet Team")
        collection = collections_service.create_collection(
            session=session, principal=Principal.command(workspace.id, "bench"),
            name="inbox", kind=CollectionKind.case)
        ids = workspace.id, collection.id
    return BenchRuntime(bench.runtime, ids[0], ids[1], bench.data_dir)


def _probe(quiet: BenchRuntime, folder: Path, n: int, timeout: float) -> float | None:
    """Seconds from accepting one upload of the quiet workspace to its `ready`."""
    path = folder / f"quiet-{n}.txt"
    path.write_bytes(_text(n, "quiet"))
    started = time.perf_counter()
    document_id, _ = store_file(quiet, path)
    while time.perf_counter() - started < timeout:
        with transaction(quiet.runtime.read_sessions) as session:
            status = session.scalar(select(Document.status).where(Document.id == document_id))
        if status in (DocumentStatus.ready, DocumentStatus.failed):
            return time.perf_counter() - started
        time.sleep(0.005)
    return None  # still waiting: reported as a timeout


def _enqueue_backlog(bench: BenchRuntime, folder: Path, count: int, batch: int) -> float:
    runtime = bench.runtime
    started = time.perf_counter()
    for first in range(0, count, batch):
        spooled = []
        for n in range(first, min(first + batch, count)):
            path = folder / f"busy-{n}.txt"
            path.write_bytes(_text(n, "busy"))
            spooled.append(spool_copy(path, runtime.settings.tmp_dir,
                                      runtime.settings.max_upload_bytes))
            path.unlink()
        with transaction(runtime.sessions) as session:
            ingest_service.accept_uploads(session=session, runtime=runtime,
                                          workspace_id=bench.workspace_id,
                                          collection_id=bench.collection_id, files=spooled)
    return time.perf_counter() - started


def _waiting(bench: BenchRuntime) -> int:
    with transaction(bench.runtime.read_sessions) as session:
        return session.scalar(select(func.count()).select_from(Job).where(
            Job.workspace_id == bench.workspace_id, Job.status == JobStatus.queued)) or 0


def _drop_backlog(bench: BenchRuntime, timeout: float = 60.0) -> None:
    runtime = bench.runtime
    with transaction(runtime.sessions) as session:
        ids = list(session.scalars(select(Document.id).where(
            Document.workspace_id == bench.workspace_id)))
        jobs_service.cancel_document_jobs(session=session, workspace_id=bench.workspace_id,
                                          document_ids=ids)
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:  # the jobs already running stop or finish
        with transaction(runtime.read_sessions) as session:
            if not session.scalar(select(func.count()).select_from(Job).where(
                    Job.status == JobStatus.running)):
                return
        time.sleep(0.05)


def _claim_ms(bench: BenchRuntime, repeats: int = 30) -> float:
    """Median time of the fair claim with the backlog queued (each claim rolled back)."""
    times = []
    for _ in range(repeats):
        with bench.runtime.sessions() as session:
            started = time.perf_counter()
            job_claims.claim_next(session=session, worker_id="bench", lease_seconds=60)
            times.append((time.perf_counter() - started) * 1000)
            session.rollback()
    return round(statistics.median(times), 2)


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="casework-fairness-") as tmp, temporary_runtime(
            worker_threads=args.threads, semantic_search=False) as bench:
        folder = Path(tmp)
        quiet = _quiet_workspace(bench)
        start_workers(bench.runtime)
        _probe(quiet, folder, -1, args.timeout)  # warm: imports, first connections
        idle = [_probe(quiet, folder, n, args.timeout) for n in range(args.probes)]
        enqueue_seconds = _enqueue_backlog(bench, folder, args.backlog, args.batch)
        waiting_before = _waiting(bench)
        busy, waiting = [], []
        probes_began = time.perf_counter()
        for n in range(args.probes):
            time.sleep(args.spacing)  # the backlog's jobs are mid-run when the upload comes
            waiting.append(_waiting(bench))
            busy.append(_probe(quiet, folder, args.probes + n, args.timeout))
        probing_seconds = time.perf_counter() - probes_began
        drained_while_probing = waiting_before - _waiting(bench)
        claim_ms = _claim_ms(bench)
        drained = args.backlog - _waiting(bench)
        # The idle baseline again, under the machine's load of now: the backlog is dropped
        # the way deleting its documents drops it (their jobs cancelled), then probed.
        _drop_backlog(bench)
        idle_after = [_probe(quiet, folder, 2 * args.probes + n, args.timeout)
                      for n in range(args.probes)]
    idle_ok = [t for t in idle if t is not None]
    idle_after_ok = [t for t in idle_after if t is not None]
    busy_ok = [t for t in busy if t is not None]
    # Both idle baselines together: the load of this shared machine drifts.
    idle_median = statistics.median(idle_ok + idle_after_ok)
    busy_median = statistics.median(busy_ok) if len(busy_ok) == len(busy) else None
    return {
        "config": {"backlog": args.backlog, "probes": args.probes, "threads": args.threads,
                   "spacing_s": args.spacing,
                   "batch": args.batch, "timeout_s": args.timeout, "shape": "embedded SQLite",
                   "document": "one small text file (~1 KB) each"},
        "idle_seconds": [round(t, 3) for t in idle_ok],
        "idle_after_seconds": [round(t, 3) for t in idle_after_ok],
        "idle_before_median_s": round(statistics.median(idle_ok), 3),
        "idle_after_median_s": round(statistics.median(idle_after_ok), 3),
        "busy_over_idle_before": None if busy_median is None else round(
            busy_median / statistics.median(idle_ok), 2),
        "busy_over_idle_after": None if busy_median is None else round(
            busy_median / statistics.median(idle_after_ok), 2),
        "busy_seconds": [None if t is None else round(t, 3) for t in busy],
        "idle_median_s": round(idle_median, 3),
        "busy_median_s": None if busy_median is None else round(busy_median, 3),
        "busy_max_s": round(max(busy_ok), 3) if busy_ok else None,
        "busy_over_idle": None if busy_median is None else round(busy_median / idle_median, 2),
        "target_busy_over_idle": 2.0,
        "backlog_enqueue_s": round(enqueue_seconds, 1),
        "backlog_waiting_when_probes_began": waiting_before,
        "backlog_waiting_at_each_probe": waiting,
        "backlog_done_by_the_end": drained,
        "backlog_docs_per_s_while_probing": round(drained_while_probing / probing_seconds, 1),
        "claim_next_median_ms_with_backlog": claim_ms,
        "percentile_90_busy_s": round(percentile(busy_ok, 90), 3) if busy_ok else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--probes", type=int, default=9)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=500, help="files per backlog upload")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per probe")
    parser.add_argument("--spacing", type=float, default=0.5, help="seconds between probes")
    parser.add_argument("--name", default="tenant_fairness")
    args = parser.parse_args()
    results = run(args)
    path = write_results(args.name, results)
    print(f"idle median {results['idle_median_s']} s, with a {args.backlog}-document backlog "
          f"{results['busy_median_s']} s (x{results['busy_over_idle']}); "
          f"claim {results['claim_next_median_ms_with_backlog']} ms -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
