"""The /metrics text: this process's (or every process's) counters plus what is read at scrape
time from the database and the disk."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from casework.observability import scrape
from casework.observability.metrics import multiprocess_enabled
from casework.runtime import Runtime

log = logging.getLogger(__name__)


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


class DatabaseCollector(Collector):
    """Job counts, queue depth, live workers and connections, read at scrape time."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def describe(self) -> list:
        return []  # values come from the database; nothing to declare up front

    def collect(self) -> Iterator[GaugeMetricFamily]:
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
        learning = [("examples", "daily_run_examples", "Examples of the newest daily run."),
                    ("accuracy", "daily_run_accuracy", "Held-out subset accuracy."),
                    ("macro_f1", "daily_run_macro_f1", "Held-out macro-F1."),
                    ("duration_seconds", "daily_run_duration_seconds",
                     "How long the newest daily run took.")]
        for field, name, text in learning:
            family = GaugeMetricFamily(name, text + " By workspace.", labels=["workspace"])
            for run in snapshot.daily_runs:
                value = getattr(run, field)
                if value is not None:
                    family.add_metric([run.workspace_id], float(value))
            yield family
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
