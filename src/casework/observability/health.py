"""Readiness: can this process serve real work right now, and if not, what is broken.

Each check runs in its own thread with a deadline, so one hung dependency is reported as
failing instead of hanging the probe; the report names every failing check and how long
each took. Liveness (`/health`) checks nothing on purpose: a database outage should take
pods out of rotation, not make the orchestrator restart them in a loop.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select, text

from casework.ask import generator
from casework.core.database import transaction
from casework.core.redaction import data_roots, redact_paths
from casework.entities.recognizer import model_missing
from casework.jobs import heartbeats
from casework.search.filters import SearchFilters
from casework.search.query import parse_query
from casework.workspaces.models import Workspace

if TYPE_CHECKING:
    from casework.runtime import Runtime

CHECKS = ("database", "redis", "storage", "search_index", "workers", "generator", "entities")


class CheckSkipped(Exception):
    """The dependency is not part of this installation (e.g. no REDIS_URL)."""


class CheckDegraded(Exception):
    """The dependency is down but the process still serves: reported, not failing."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    status: str  # ok | failing | degraded | skipped
    latency_ms: float
    detail: str | None = None


@dataclass(slots=True)
class Readiness:
    checks: dict[str, CheckResult] = field(default_factory=dict)

    @property
    def failing(self) -> list[str]:
        return [name for name, result in self.checks.items() if result.status == "failing"]

    @property
    def ok(self) -> bool:
        return not self.failing

    def to_body(self) -> dict[str, object]:
        return {
            "status": "ok" if self.ok else "unavailable",
            "failing": self.failing,
            "checks": {name: {k: v for k, v in (("status", r.status),
                                                ("latency_ms", r.latency_ms),
                                                ("detail", r.detail)) if v is not None}
                       for name, r in self.checks.items()},
        }


def check_database(runtime: Runtime) -> str | None:
    with runtime.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return None


def check_redis(runtime: Runtime) -> str | None:
    url = runtime.settings.redis_url
    if not url:
        raise CheckSkipped("REDIS_URL is not set")
    import redis

    timeout = runtime.settings.health_check_timeout_seconds
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()
    return None


def check_storage(runtime: Runtime) -> str | None:
    runtime.blobs.check()
    return None


def check_search_index(runtime: Runtime) -> str | None:
    """Run a real keyword query (in the oldest workspace: each has its own keyword table on
    SQLite, so a made-up id has none to query) and probe the index dir."""
    with transaction(runtime.read_sessions) as session:
        workspace_id = session.scalars(
            select(Workspace.id).order_by(Workspace.created_at).limit(1)).first()
        if workspace_id is not None:  # a fresh install before its first workspace
            runtime.keyword_index.search(session, workspace_id=workspace_id, query=parse_query(
                "casework"), filters=SearchFilters(), limit=1)
    directory = runtime.settings.index_dir
    directory.mkdir(parents=True, exist_ok=True)
    probe = directory / f".probe-{uuid.uuid4().hex}"
    probe.write_bytes(b"ok")
    probe.unlink()
    if runtime.semantic_off_reason:
        # Keyword search works, so the process is ready; the operator still learns why
        # semantic search is not, and what to do about it.
        return f"keyword only; semantic search is off: {runtime.semantic_off_reason}"
    return None


def check_workers(runtime: Runtime) -> str | None:
    """Live job workers, from the heartbeats every worker writes (embedded pool, or each
    `casework worker` process in the Celery shape).

    Only a process that is meant to have workers (HEALTH_REQUIRE_WORKERS, or in-process
    worker threads) fails without one: an API tier must stay in rotation while the
    separate workers restart. It still reports the ones it sees.
    """
    settings = runtime.settings
    with transaction(runtime.read_sessions) as session:
        alive = heartbeats.count_live_workers(
            session=session, interval_seconds=settings.worker_heartbeat_seconds)
    if alive:
        return f"{alive} alive"
    if not settings.runs_workers:
        raise CheckSkipped("no live worker seen; workers run elsewhere and this process "
                           "does not require them (HEALTH_REQUIRE_WORKERS)")
    raise RuntimeError("no job worker has reported a heartbeat recently")


def check_generator(runtime: Runtime) -> str | None:
    """The configured LLM endpoint answers `GET /models` and serves LLM_MODEL.

    Degraded, never failing: without it questions still get extractive answers (ask
    falls back with a warning), so an LLM outage must not take the API out of rotation.
    """
    settings = runtime.settings
    if not settings.generator_configured:
        raise CheckSkipped("LLM_BASE_URL is not set: answers are extractive")
    try:
        models = generator.list_models(settings)
    except Exception as exc:
        raise CheckDegraded(f"the generator does not answer ({exc.__class__.__name__}); "
                            "answers fall back to extractive") from None
    if settings.llm_model not in models:
        raise CheckDegraded(f"the generator does not list LLM_MODEL {settings.llm_model!r}")
    return f"model {settings.llm_model}"


def check_entities(runtime: Runtime) -> str | None:
    """The named-entity model is installed (or failed to load in this process).

    Degraded, never failing: without it entity jobs still find the patterns (e-mail,
    phones, IBANs, amounts, dates, references), just no people, organisations or places.
    Looked up without loading it, so a probe never pulls spaCy into the API process.
    """
    if not runtime.settings.entity_extraction:
        raise CheckSkipped("ENTITY_EXTRACTION is off")
    reason = model_missing() or runtime.names.off_reason
    if reason is not None:
        raise CheckDegraded(f"names are not extracted ({reason}); patterns still are")
    return None


CHECK_FUNCTIONS: dict[str, Callable[[Runtime], str | None]] = {
    "database": check_database,
    "redis": check_redis,
    "storage": check_storage,
    "search_index": check_search_index,
    "workers": check_workers,
    "generator": check_generator,
    "entities": check_entities,
}


def _timed(check: Callable[[Runtime], str | None], runtime: Runtime) -> CheckResult:
    started = time.perf_counter()
    try:
        detail = check(runtime)
        status = "ok"
    except CheckSkipped as exc:
        status, detail = "skipped", str(exc)
    except CheckDegraded as exc:
        status, detail = "degraded", redact_paths(
            str(exc), roots=data_roots(runtime.settings.data_dir))
    except Exception as exc:
        # Readiness may be public (load balancers): no server paths in what it says.
        message = redact_paths(str(exc), roots=data_roots(runtime.settings.data_dir))
        status, detail = "failing", f"{exc.__class__.__name__}: {message[:300]}"
    return CheckResult(status, round((time.perf_counter() - started) * 1000, 2), detail)


def check_readiness(runtime: Runtime, *, only: list[str] | None = None) -> Readiness:
    names = [name for name in CHECKS if not only or name in only]
    timeout = runtime.settings.health_check_timeout_seconds
    readiness = Readiness()
    executor = ThreadPoolExecutor(max_workers=len(names) or 1,
                                  thread_name_prefix="casework-health")
    try:
        futures = {name: executor.submit(_timed, CHECK_FUNCTIONS[name], runtime)
                   for name in names}
        deadline = time.monotonic() + timeout
        for name, future in futures.items():
            try:
                readiness.checks[name] = future.result(max(deadline - time.monotonic(), 0))
            except FutureTimeout:
                readiness.checks[name] = CheckResult(
                    "failing", timeout * 1000, f"no answer within {timeout} s")
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    for name in readiness.failing:
        runtime.metrics.health_failures.labels(name).inc()
    return readiness
