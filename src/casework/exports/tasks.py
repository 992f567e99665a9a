"""The exports domain's jobs: build an archive, and remove archives past their retention."""

from __future__ import annotations

import logging
from datetime import timedelta

from casework.core.database import transaction, utcnow
from casework.core.settings import Settings
from casework.exports import service
from casework.exports.build import build_export, export_failed
from casework.exports.job_kinds import BUILD_EXPORT, PRUNE_EXPORTS
from casework.jobs.handlers import JobContext
from casework.jobs.registry import JobRegistry
from casework.jobs.schedule import PeriodicJob

log = logging.getLogger(__name__)

# Hourly: an export outlives EXPORT_RETENTION_DAYS by an hour at most.
PRUNE_INTERVAL = timedelta(hours=1)


def register(registry: JobRegistry, settings: Settings) -> None:
    registry.add(BUILD_EXPORT, build_export, export_failed)
    registry.add(PRUNE_EXPORTS, prune_exports)
    registry.every(PeriodicJob(PRUNE_EXPORTS, PRUNE_INTERVAL))


def prune_exports(ctx: JobContext) -> None:
    """Remove every export older than EXPORT_RETENTION_DAYS: the archive, then its row.

    The archive goes first, so a failure half-way leaves a row that the next run finds
    again, never an archive that nothing points at.
    """
    runtime = ctx.runtime
    cutoff = utcnow() - timedelta(days=runtime.settings.export_retention_days)
    removed = 0
    while True:
        with transaction(runtime.read_sessions) as session:
            batch = service.expired_exports(session=session, older_than=cutoff)
        for workspace_id, export_id in batch:
            runtime.blobs.delete(service.blob_key(workspace_id, export_id))
            with transaction(runtime.sessions) as session:
                service.forget_export(session=session, workspace_id=workspace_id,
                                      export_id=export_id)
            removed += 1
        if len(batch) < service.EXPIRED_BATCH:
            break
    if removed:
        log.info("expired exports removed", extra={"count": removed})
