"""Prometheus metrics: what casework counts while it runs, and what it reads at scrape time.

Counters and histograms are updated where the work happens (requests, pipeline stages,
queries, ingest). Job counts, queue depth, live workers and database connections are read
from the database when Prometheus scrapes, so every process reports the same truth.

With several server processes, PROMETHEUS_MULTIPROC_DIR makes prometheus_client keep values
in shared files; a scrape of any process then sums all of them. The metric objects belong
to one `Metrics` per runtime (its own registry), never to module globals.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    multiprocess,
    values,
)

log = logging.getLogger(__name__)
disable_created_metrics()  # the *_created series only double what Prometheus already knows

UNMATCHED_ROUTE = "<unmatched>"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
STAGE_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)

# Every metric name casework exports (the dashboard and alert tests check against it).
EXPORTED_METRICS = (
    "http_requests_total", "http_request_duration_seconds", "active_connections",
    "document_processing_seconds", "query_response_seconds", "ingest_bytes_total",
    "ingest_documents_total", "health_check_failures_total", "jobs", "job_queue_depth",
    "job_oldest_queued_age_seconds", "workers_alive", "database_connections",
    "database_max_connections", "storage_free_bytes", "storage_total_bytes",
    "daily_run_examples", "daily_run_accuracy", "daily_run_macro_f1",
    "daily_run_duration_seconds",
)


def multiprocess_enabled() -> bool:
    """Whether prometheus_client was imported in multi-process mode (decided at import)."""
    return values.ValueClass is not values.MutexValue


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.http_requests = Counter(
            "http_requests_total", "HTTP requests by method, route template and status.",
            ["method", "route", "status"], registry=r)
        self.http_duration = Histogram(
            "http_request_duration_seconds", "HTTP request latency by method and route.",
            ["method", "route"], buckets=LATENCY_BUCKETS, registry=r)
        self.active_connections = Gauge(
            "active_connections", "HTTP requests being served now.",
            multiprocess_mode="livesum", registry=r)
        self.stage_seconds = Histogram(
            "document_processing_seconds", "Time spent in each ingest pipeline stage.",
            ["stage"], buckets=STAGE_BUCKETS, registry=r)
        self.query_seconds = Histogram(
            "query_response_seconds", "Search time by mode (keyword, semantic, hybrid).",
            ["mode"], buckets=LATENCY_BUCKETS, registry=r)
        self.ingest_bytes = Counter(
            "ingest_bytes", "Bytes of new originals stored.", registry=r)
        self.ingest_documents = Counter(
            "ingest_documents", "Uploaded files by result (stored or duplicate).",
            ["result"], registry=r)
        self.health_failures = Counter(
            "health_check_failures", "Readiness checks that failed, by check.",
            ["check"], registry=r)

    @contextmanager
    def time_stage(self, stage: str) -> Iterator[None]:
        """Observe how long a pipeline stage took, whether it succeeded or raised."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stage_seconds.labels(stage).observe(time.perf_counter() - started)

    def observe_stage(self, stage: str, seconds: float) -> None:
        """A stage timed elsewhere (in a parser process, seen from its progress messages)."""
        self.stage_seconds.labels(stage).observe(seconds)

    def observe_query(self, mode: str, seconds: float) -> None:
        self.query_seconds.labels(mode).observe(seconds)

    def count_ingest(self, *, stored_bytes: int, stored: int, duplicates: int) -> None:
        if stored:
            self.ingest_documents.labels("stored").inc(stored)
            self.ingest_bytes.inc(stored_bytes)
        if duplicates:
            self.ingest_documents.labels("duplicate").inc(duplicates)


def prepare_multiprocess_dir(path: Path) -> None:
    """Empty the shared folder before the server processes start (stale pids double-count)."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)


def process_exiting() -> None:
    """Drop this process's live gauges from the shared folder."""
    if multiprocess_enabled():
        multiprocess.mark_process_dead(os.getpid())
