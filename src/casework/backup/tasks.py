"""The scheduled backup job: one archive to the configured target, then retention.

Whoever scheduled the job (the embedded worker pool, or `casework scheduler` in the
scale-out shape) put its target and retention in the payload, so a Celery worker writes
where the scheduler was told to even if its own BACKUP_* settings differ or are unset.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from casework.backup import service
from casework.backup.locations import open_target
from casework.backup.targets import prune
from casework.core.settings import Settings
from casework.jobs.handlers import JobContext
from casework.jobs.registry import JobRegistry
from casework.jobs.schedule import PeriodicJob

log = logging.getLogger(__name__)

BACKUP = "backup"


def register(registry: JobRegistry, settings: Settings) -> None:
    registry.add(BACKUP, run_scheduled_backup)
    if settings.backup_interval_hours > 0:
        # The scheduler's own target and retention travel with the job (see below).
        registry.every(PeriodicJob(BACKUP, timedelta(hours=settings.backup_interval_hours),
                                   {"target": settings.resolved_backup_target,
                                    "keep": settings.backup_keep}))


def run_scheduled_backup(ctx: JobContext) -> None:
    settings = ctx.runtime.settings
    location = ctx.payload.get("target") or settings.resolved_backup_target
    keep = int(ctx.payload.get("keep") or settings.backup_keep)
    target, _name = open_target(location, settings)  # a folder or prefix (settings check)
    stored = service.create_backup(runtime=ctx.runtime, target=target)
    removed = prune(target, keep=keep)
    log.info("scheduled backup done", extra={"archive": stored.location, "kept": keep,
                                             "removed": removed})
