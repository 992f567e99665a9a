"""What every benchmark shares: a throwaway runtime, storing files, waiting, memory, results.

Benchmarks drive casework through its own services (the same calls the CLI makes) on a
temporary DATA_DIR, never ./data, and write their figures to bench/results/<name>.json.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import secrets
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from casework.accounts.principal import Principal
from casework.bootstrap import build_runtime, prepare
from casework.collections import service as collections_service
from casework.collections.models import Collection, CollectionKind
from casework.core.database import transaction
from casework.core.settings import load_settings
from casework.documents.models import Document, DocumentStatus, EmbeddingStatus
from casework.ingest import service as ingest_service
from casework.jobs.models import Job, JobStatus
from casework.runtime import Runtime
from casework.search.embedder import Embedder
from casework.workspaces import service as workspaces_service

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
REPO_DIR = BENCH_DIR.parent
CACHE_DIR = Path(tempfile.gettempdir()) / "casework-bench-cache"


@dataclass
class BenchRuntime:
    runtime: Runtime
    workspace_id: str
    collection_id: str
    data_dir: Path


@contextmanager
def temporary_runtime(*, embedder: Embedder | None = None, keep_in: Path | None = None,
                      **overrides: Any) -> Iterator[BenchRuntime]:
    """A migrated runtime on a fresh temporary DATA_DIR with one collection; removed after.

    `keep_in` names a DATA_DIR to use instead and keep: a corpus that took an hour to build
    (a million chunks) is measured again, e.g. with another keyword engine, by reopening it.
    """
    with tempfile.TemporaryDirectory(prefix="casework-bench-") as tmp:
        data_dir = Path(tmp) if keep_in is None else keep_in
        data_dir.mkdir(parents=True, exist_ok=True)
        # database_url=None: SQLite under the temp DATA_DIR even if DATABASE_URL is set.
        # A fixed owner account keeps first-start from printing a generated password.
        overrides.setdefault("admin_email", "bench@example.com")
        overrides.setdefault("admin_password", secrets.token_urlsafe(18))
        settings = load_settings(data_dir=data_dir, database_url=None, **overrides)
        runtime = build_runtime(settings, embedder=embedder)
        try:
            prepare(runtime)
            with transaction(runtime.sessions) as session:
                workspace = workspaces_service.ensure_default_workspace(
                    session=session, name=settings.default_workspace_name)
                collection = session.scalar(select(Collection).where(
                    Collection.workspace_id == workspace.id, Collection.name == "bench"))
                if collection is None:  # a kept DATA_DIR already has it
                    collection = collections_service.create_collection(
                        session=session, principal=Principal.command(workspace.id, "bench"),
                        name="bench",
                        kind=CollectionKind.case)
                ids = workspace.id, collection.id
            yield BenchRuntime(runtime, ids[0], ids[1], data_dir)
        finally:
            runtime.close()


def store_file(bench: BenchRuntime, path: Path) -> tuple[str, bool]:
    """Store one file as `casework ingest` does: copy and hash, then accept the upload."""
    from casework.cli.ingest import spool_copy

    runtime = bench.runtime
    spooled = spool_copy(path, runtime.settings.tmp_dir, runtime.settings.max_upload_bytes)
    try:
        with transaction(runtime.sessions) as session:
            accepted = ingest_service.accept_uploads(
                session=session, runtime=runtime, workspace_id=bench.workspace_id,
                collection_id=bench.collection_id, files=[spooled])[0]
    finally:
        spooled.discard()
    return accepted.document.id, accepted.duplicate


@dataclass
class Progress:
    keyword_ready_at: float | None = None
    vectors_ready_at: float | None = None
    failed: list[tuple[str, str]] | None = None


def wait_for_documents(bench: BenchRuntime, document_ids: list[str], *, started: float,
                       timeout: float, poll: float = 0.1, log_every: float = 15.0) -> Progress:
    """Poll until every document is ready (or failed) and every job has finished."""
    runtime = bench.runtime
    progress = Progress()
    deadline = time.perf_counter() + timeout
    last_log = time.perf_counter()
    ids = set(document_ids)
    while True:
        with transaction(runtime.read_sessions) as session:
            rows = session.execute(select(
                Document.id, Document.status, Document.embedding_status, Document.error
            ).where(Document.workspace_id == bench.workspace_id)).all()
            open_jobs = session.scalar(select(func.count()).select_from(Job).where(
                Job.status.in_([JobStatus.queued, JobStatus.running]))) or 0
        rows = [r for r in rows if r[0] in ids]
        now = time.perf_counter()
        settled = [r for r in rows if r[1] in (DocumentStatus.ready, DocumentStatus.failed)]
        if progress.keyword_ready_at is None and len(settled) == len(ids):
            progress.keyword_ready_at = now - started
        embedded = [r for r in settled if r[1] == DocumentStatus.failed
                    or r[2] != EmbeddingStatus.pending]
        if len(embedded) == len(ids) and not open_jobs:
            progress.vectors_ready_at = now - started
            progress.failed = [(r[0], r[3] or "") for r in rows
                               if r[1] == DocumentStatus.failed
                               or r[2] == EmbeddingStatus.failed]
            return progress
        if now > deadline:
            raise TimeoutError(f"{len(embedded)}/{len(ids)} documents done after {timeout} s")
        if now - last_log > log_every:
            last_log = now
            print(f"  … {now - started:6.0f} s: {len(settled)}/{len(ids)} keyword-searchable, "
                  f"{len(embedded)}/{len(ids)} embedded, {open_jobs} open jobs", flush=True)
        time.sleep(poll)


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    """The process's high-water mark since it started (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class MemoryWatch:
    """Samples this process's RSS in a thread and keeps the peak of each labelled phase."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.phase = "start"
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        rss = rss_bytes()
        if rss > self.peaks.get(self.phase, 0):
            self.peaks[self.phase] = rss

    def enter(self, phase: str) -> None:
        self.sample()
        self.phase = phase
        self.sample()

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100), no interpolation."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def machine() -> dict[str, Any]:
    import numpy
    import sqlalchemy

    info: dict[str, Any] = {
        "cores": os.cpu_count(), "platform": platform.platform(),
        "python": platform.python_version(), "numpy": numpy.__version__,
        "sqlalchemy": sqlalchemy.__version__,
    }
    try:
        import sqlite3

        info["sqlite"] = sqlite3.sqlite_version
    except ImportError:
        pass
    try:
        info["commit"] = subprocess.run(
            ["git", "-C", str(REPO_DIR), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(REPO_DIR), "status", "--porcelain", "--", "src"],
            capture_output=True, text=True, check=True).stdout.splitlines()
        info["src_uncommitted_changes"] = len(changed)
    except (OSError, subprocess.CalledProcessError):
        pass
    # The machine is shared with other work: the load says how quiet it was.
    info["load_average_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    with open("/proc/meminfo") as fh:
        info["memory_gib"] = round(int(fh.readline().split()[1]) / 1024 / 1024, 1)
    return info


def write_results(name: str, results: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    document = {"benchmark": name, "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": machine(), **results}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path


def mib(value: float) -> float:
    return round(value / (1024 * 1024), 1)


def calibrate_embedder(embedder: Embedder) -> dict[str, float]:
    """How fast the model runs right now: the machine is shared, so this dates the figures."""
    import corpus

    writer = corpus.ProseWriter(3)
    passages = [writer.paragraph((8, 10))[:1000] for _ in range(64)]
    embedder.embed(passages[:4])  # loads the model if needed
    started = time.perf_counter()
    embedder.embed(passages)
    batch = time.perf_counter() - started
    single: list[float] = []
    for passage in passages[:30]:
        started = time.perf_counter()
        embedder.embed([passage[:60]])
        single.append((time.perf_counter() - started) * 1000)
    return {"passages_per_s": round(len(passages) / batch, 1),
            "short_query_p50_ms": round(percentile(single, 50), 1),
            "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()]}


def unpacked_debian_packages(folder: Path, packages: tuple[str, ...]) -> Path:
    """Debian packages' files under folder/root: `apt-get download` (no install, no root
    needed beyond apt's cache) and `dpkg-deb -x` on first use, cached after."""
    root = folder / "root"
    if (folder / ".unpacked").exists():
        return root
    debs = folder / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "download", *packages], cwd=debs, check=True,
                   stdout=subprocess.DEVNULL)
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    (folder / ".unpacked").write_text("")
    return root
