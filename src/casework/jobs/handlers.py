"""What a job handler is, and the context it runs with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from casework.runtime import Runtime


class PermanentJobError(Exception):
    """A failure that retrying cannot fix (unreadable file, unsupported content)."""


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
        from casework.core.database import transaction
        from casework.jobs import service

        with transaction(self.runtime.sessions) as session:
            service.set_progress(session=session, job_id=self.job_id, progress=fraction)


@dataclass(frozen=True, slots=True)
class JobHandler:
    """`run` does the work (idempotently); `on_failure` records a final failure."""

    run: Callable[[JobContext], None]
    on_failure: Callable[[JobContext, str], None] | None = None
