"""Where ingest time goes, measured from the outside: timers wrapped around casework's seams.

Nothing under src/ changes. In the benchmark's own process we wrap the functions the
pipeline looks up at call time (its stage functions, chunking, chunk writing, embedding,
the vector index, the job handlers) with timers. Every timer adds its wall time to a
(job kind, stage) bucket, so the buckets of one job add up to that job's time.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from casework.bootstrap import build_job_registry
from casework.ingest import pipeline
from casework.jobs.handlers import JobContext, JobHandler
from casework.jobs.registry import JobRegistry
from casework.runtime import Runtime
from casework.search import indexing


class StageClock:
    """Wall seconds per stage, and CPU seconds of the calling thread (`cpu_seconds`).

    The machine is shared, so wall time carries other people's load; a stage's CPU time
    barely does. The model runs on torch's own threads too: TimedEmbedder records the
    process's CPU time for it instead (valid when one job runs at a time).
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu_seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        self._local = threading.local()

    @property
    def job(self) -> str:
        return getattr(self._local, "job", "outside_jobs")

    def add(self, stage: str, seconds: float, cpu: float = 0.0, *, job: str | None = None
            ) -> None:
        key = f"{job or self.job}.{stage}"
        with self._lock:
            self.seconds[key] += seconds
            self.cpu_seconds[key] += cpu
            self.calls[key] += 1

    @contextmanager
    def timing(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        cpu = time.thread_time()
        try:
            yield
        finally:
            self.add(stage, time.perf_counter() - started, time.thread_time() - cpu)

    @contextmanager
    def in_job(self, kind: str) -> Iterator[None]:
        self._local.job = kind
        try:
            with self.timing("total"):
                yield
        finally:
            self._local.job = "outside_jobs"

    def timed_iter(self, stage: str, items: Iterable[Any]) -> Iterator[Any]:
        """Time the work of producing each item (lazy parsers and chunkers do it on next())."""
        iterator = iter(items)
        while True:
            started = time.perf_counter()
            cpu = time.thread_time()
            try:
                item = next(iterator)
            except StopIteration:
                self.add(stage, time.perf_counter() - started, time.thread_time() - cpu)
                return
            self.add(stage, time.perf_counter() - started, time.thread_time() - cpu)
            yield item


class TimedEmbedder:
    """The real embedder, with the model's time recorded as the `embed_model` stage."""

    def __init__(self, embedder: Any, clock: StageClock) -> None:
        self.inner = embedder
        self.clock = clock
        self.name = embedder.name
        self.texts = 0

    @property
    def dimensions(self) -> int:
        return self.inner.dimensions

    def embed(self, texts: list[str]) -> np.ndarray:
        process_cpu = time.process_time()
        with self.clock.timing("embed_model"):
            vectors = self.inner.embed(texts)
        self.clock.add("embed_model_process_cpu", 0.0, time.process_time() - process_cpu)
        self.texts += len(texts)
        return vectors


class TimedVectorIndex:
    def __init__(self, index: Any, clock: StageClock) -> None:
        self.inner = index
        self.clock = clock

    def add(self, workspace_id: str, keys: np.ndarray, vectors: np.ndarray) -> None:
        with self.clock.timing("vector_index_add"):
            self.inner.add(workspace_id, keys, vectors)

    def flush(self, *, force: bool = False) -> None:
        with self.clock.timing("vector_index_save"):
            self.inner.flush(force=force)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _timed_transaction(clock: StageClock, original: Callable[..., Any]) -> Callable[..., Any]:
    @contextmanager
    def transaction(factory: Any) -> Iterator[Any]:
        # Time the commit (the work after the body) separately from the body.
        manager = original(factory)
        session = manager.__enter__()
        try:
            yield session
        except BaseException as exc:
            if not manager.__exit__(type(exc), exc, exc.__traceback__):
                raise
        else:
            with clock.timing("commit"):
                manager.__exit__(None, None, None)

    return transaction


# Stage functions of casework.ingest.pipeline timed when present, by bucket name. The
# pipeline evolves; a name that is gone is skipped and its time lands in "other".
PIPELINE_STAGES = {
    "_check_original": "check",
    "_parse": "open",
    "_extract_pages": "extract",
    "_derive_previews": "previews",
    # Since the parser sandbox: open + extract + previews in a parser process, then the
    # server copies the previews into the blob store.
    "_extract": "sandbox_extract",
    "_store_previews": "store_previews",
    "_replace_pages": "replace_pages",
    "_ingest_attachments": "attachments",
    "_mark_ready": "mark_ready",
}


def _timed(clock: StageClock, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        with clock.timing(stage):
            return fn(*args, **kwargs)

    return timed


def instrument(runtime: Runtime, clock: StageClock) -> JobRegistry:
    """Wrap the pipeline's seams in this process (call once per process); the job table
    with every handler timed, for the workers to run."""
    for name, stage in PIPELINE_STAGES.items():
        if hasattr(pipeline, name):
            setattr(pipeline, name, _timed(clock, stage, getattr(pipeline, name)))
    original_chunk_page = pipeline.chunk_page

    def chunk_page(text: str, **kwargs: Any) -> Iterator[Any]:
        return clock.timed_iter("split", original_chunk_page(text, **kwargs))

    pipeline.chunk_page = chunk_page
    pipeline.normalize_page_text = _timed(clock, "normalize", pipeline.normalize_page_text)
    pipeline.transaction = _timed_transaction(clock, pipeline.transaction)
    indexing.write_chunks = _timed(clock, "write_chunks", indexing.write_chunks)
    indexing.embed_chunks = _timed(clock, "embed_chunks", indexing.embed_chunks)

    runtime.vector_index = TimedVectorIndex(runtime.vector_index, clock)  # type: ignore[assignment]
    registry = build_job_registry(runtime.settings)
    for kind in registry.kinds():
        handler = registry[kind]
        registry[kind] = JobHandler(_timed_run(clock, kind, handler.run), handler.on_failure)
    return registry


def _timed_run(clock: StageClock, kind: str, run: Callable[[JobContext], None]
               ) -> Callable[[JobContext], None]:
    def timed(ctx: JobContext) -> None:
        with clock.in_job(kind):
            run(ctx)

    return timed


def breakdown(clock: StageClock, *, cpu: bool = False) -> dict[str, float]:
    """Exclusive seconds per stage: nested timers are subtracted from their parents.

    With `cpu`, CPU seconds instead of wall seconds; the model's are the process's CPU
    time while it ran (all of torch's threads), so only meaningful with one worker thread.
    """
    if cpu:
        s = dict(clock.cpu_seconds)
        for job in ("embed_document", "outside_jobs"):
            model = f"{job}.embed_model"
            extra = s.get(f"{job}.embed_model_process_cpu", 0.0) - s.get(model, 0.0)
            # The model's own threads count here, and so in its enclosing timers.
            for key in (model, f"{job}.embed_chunks", f"{job}.total"):
                if key in s:
                    s[key] += extra
    else:
        s = dict(clock.seconds)

    def get(job: str, *stages: str) -> float:
        return sum(s.get(f"{job}.{stage}", 0.0) for stage in stages)

    p, e = "process_document", "embed_document"
    stages = {
        "check + open (parser)": get(p, "check", "open"),
        "extract text (parser, OCR if needed)": get(p, "extract"),
        "previews (page renders, thumbnails)": get(p, "previews"),
        "chunk (normalise + split)": get(p, "normalize", "split"),
        "chunk rows + keyword index (insert, FTS)": get(p, "write_chunks") - get(p, "split"),
        "page rows, replace earlier attempt": get(p, "replace_pages") - get(p, "write_chunks")
            - get(p, "normalize"),
        "commit (process)": get(p, "commit"),
        "other (process: load, attachments, status, queue)": get(p, "total") - get(
            p, "check", "open", "extract", "previews", "replace_pages", "commit"),
        "embed (model)": get(e, "embed_model"),
        # embed_chunks commits its own small transactions: they are in this bucket.
        "embedding rows (dedupe reads, inserts, reload)": get(e, "embed_chunks")
            - get(e, "embed_model", "vector_index_add"),
        "vector index add (HNSW)": get(e, "vector_index_add"),
        "other (embed: status update + commit)": get(e, "total") - get(e, "embed_chunks"),
        "vector index save (after each job)": get("outside_jobs", "vector_index_save"),
    }
    return {name: round(max(value, 0.0), 3) for name, value in stages.items()}
