"""The table of job kinds: built once by the composition root from each domain's tasks.py.

Domains register their kinds by name (`registry.add(PROCESS_DOCUMENT, process_document)`)
and their periodic jobs (`registry.every(...)`); services enqueue by name and never import
a handler's module, and the job runners (the embedded pool, the Celery worker) look the
handler up here.
"""

from __future__ import annotations

from collections.abc import Callable

from casework.jobs.handlers import JobContext, JobHandler, RetryPolicy
from casework.jobs.schedule import PeriodicJob


class JobRegistry:
    """Handlers by kind, and the periodic jobs the settings switch on."""

    def __init__(self) -> None:
        self._handlers: dict[str, JobHandler] = {}
        self.periodic: list[PeriodicJob] = []

    def add(self, kind: str, run: Callable[[JobContext], None],
            on_failure: Callable[[JobContext, str], None] | None = None, *,
            retry: RetryPolicy | None = None) -> None:
        if kind in self._handlers:
            raise ValueError(f"job kind {kind!r} is registered twice")
        self._handlers[kind] = JobHandler(run, on_failure, retry)

    def every(self, periodic: PeriodicJob) -> None:
        """Enqueue `periodic.kind` once per interval (whoever ticks: pool or Celery beat)."""
        self.periodic.append(periodic)

    def kinds(self) -> list[str]:
        return list(self._handlers)

    def get(self, kind: str) -> JobHandler | None:
        return self._handlers.get(kind)

    def __getitem__(self, kind: str) -> JobHandler:
        return self._handlers[kind]

    def __setitem__(self, kind: str, handler: JobHandler) -> None:
        """Replace or add a handler (tests and benchmarks run their own kinds)."""
        self._handlers[kind] = handler
