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
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from casework.runtime import Runtime

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


class DatabaseCollector(Collector):
    """Job counts, queue depth, live workers and connections, read at scrape time."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def describe(self) -> list:
        return []  # values come from the database; nothing to declare up front

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from casework.observability import scrape

        try:
            snapshot = scrape.read_snapshot(self.runtime)
        except Exception:
            log.warning("could not read job metrics from the database", exc_info=True)
            return
        jobs = GaugeMetricFamily("jobs", "Jobs in the job table by state.", labels=["state"])
        for state, count in sorted(snapshot.jobs_by_state.items()):
            jobs.add_metric([state], count)
        yield jobs
        yield GaugeMetricFamily("job_queue_depth", "Queued jobs that are due to run now.",
                                value=snapshot.queue_depth)
        yield GaugeMetricFamily("job_oldest_queued_age_seconds",
                                "Age of the oldest due queued job (0 when none).",
                                value=snapshot.oldest_queued_age)
        yield GaugeMetricFamily("workers_alive", "Job workers with a fresh heartbeat.",
                                value=snapshot.workers_alive)
        if snapshot.database_connections is not None:
            yield GaugeMetricFamily("database_connections", "Open server connections.",
                                    value=snapshot.database_connections)
            yield GaugeMetricFamily("database_max_connections", "The server's limit.",
                                    value=snapshot.database_max_connections or 0)


class StorageCollector(Collector):
    """Free and total bytes of the filesystem holding DATA_DIR."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def describe(self) -> list:
        return []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            usage = shutil.disk_usage(self.data_dir)
        except OSError:
            return
        yield GaugeMetricFamily("storage_free_bytes", "Free bytes where DATA_DIR lives.",
                                value=usage.free)
        yield GaugeMetricFamily("storage_total_bytes", "Size of the filesystem of DATA_DIR.",
                                value=usage.total)


def render_metrics(runtime: Runtime) -> bytes:
    """The text exposition of every metric, summed over processes in multi-process mode."""
    if multiprocess_enabled():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(runtime.metrics.registry))
    registry.register(DatabaseCollector(runtime))
    registry.register(StorageCollector(runtime.settings.data_dir))
    return generate_latest(registry)


class _Forward(Collector):
    """Expose another registry's metrics inside a scrape registry."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator:
        yield from self.source.collect()


def prepare_multiprocess_dir(path: Path) -> None:
    """Empty the shared folder before the server processes start (stale pids double-count)."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)


def process_exiting() -> None:
    """Drop this process's live gauges from the shared folder."""
    if multiprocess_enabled():
        multiprocess.mark_process_dead(os.getpid())
