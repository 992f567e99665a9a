"""The batch search domain's job: run a batch's terms and store what each one found."""

from __future__ import annotations

from casework.batch_search import service
from casework.batch_search.job_kinds import RUN_BATCH_SEARCH
from casework.core.database import transaction
from casework.core.settings import Settings
from casework.jobs.handlers import JobContext
from casework.jobs.registry import JobRegistry


def register(registry: JobRegistry, settings: Settings) -> None:
    del settings
    registry.add(RUN_BATCH_SEARCH, run_batch_search, batch_failed)


def run_batch_search(ctx: JobContext) -> None:
    """Reads in one read-only transaction (the counts see one state of the index), then
    stores the results in a short write."""
    runtime, workspace_id = ctx.runtime, ctx.workspace_id or ""
    batch_id = ctx.payload["batch_id"]
    with transaction(runtime.sessions) as session:
        if service.start_run(session=session, workspace_id=workspace_id,
                             batch_id=batch_id) is None:
            return  # its workspace was deleted while it waited
    with transaction(runtime.read_sessions) as session:
        batch = service.get_batch(session=session, workspace_id=workspace_id,
                                  batch_id=batch_id)
        results = service.count_terms(session=session, batch=batch,
                                      progress=ctx.report_progress)
    with transaction(runtime.sessions) as session:
        service.finish_run(session=session, workspace_id=workspace_id, batch_id=batch_id,
                           results=results)


def batch_failed(ctx: JobContext, reason: str) -> None:
    with transaction(ctx.runtime.sessions) as session:
        service.fail_run(session=session, workspace_id=ctx.workspace_id or "",
                         batch_id=ctx.payload["batch_id"], error=reason)
