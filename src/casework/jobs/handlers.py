"""What a job handler is, and the context it runs with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from casework.core.database import transaction
from casework.jobs import service

# Handlers raise these; they live beside the classification that reads them (failures.py).
from casework.jobs.failures import JobCancelled, PermanentJobError, TransientJobError

if TYPE_CHECKING:
    from casework.runtime import Runtime

__all__ = ["JobCancelled", "JobContext", "JobHandler", "PermanentJobError", "RetryPolicy",
           "TransientJobError"]


@dataclass(frozen=True, slots=True)
class JobContext:
    runtime: Runtime
    job_id: int
    kind: str
    payload: dict[str, Any]
    workspace_id: str | None
    attempt: int
    max_attempts: int

    def report_progress(self, fraction: float) -> None:
        """Record progress; a job that was cancelled meanwhile stops here (JobCancelled).

        Long handlers report progress at their page or batch boundaries anyway, so this is
        where they learn that their work is no longer wanted.
        """
        with transaction(self.runtime.sessions) as session:
            running = service.set_progress(session=session, job_id=self.job_id,
                                           progress=fraction)
        if not running:
            raise JobCancelled(f"job {self.job_id} was cancelled")

    def raise_if_cancelled(self) -> None:
        """Stop between stages when the job was cancelled (JobCancelled); else nothing."""
        with transaction(self.runtime.read_sessions) as session:
            cancelled = service.is_cancelled(session=session, job_id=self.job_id)
        if cancelled:
            raise JobCancelled(f"job {self.job_id} was cancelled")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """A kind's own retry schedule, instead of JOB_RETRY_* and the row's `max_attempts`:
    a webhook receiver that is down for an hour needs longer waits than a busy database."""

    base_seconds: float
    max_seconds: float
    max_attempts: int | None = None  # None: the job row's own `max_attempts`


@dataclass(frozen=True, slots=True)
class JobHandler:
    """`run` does the work (idempotently); `on_failure` records a final failure."""

    run: Callable[[JobContext], None]
    on_failure: Callable[[JobContext, str], None] | None = None
    retry: RetryPolicy | None = None
