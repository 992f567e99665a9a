"""The scheduled backup job: one archive to the configured target, then retention.

Whoever scheduled the job (the embedded worker pool, or `casework scheduler` in the
scale-out shape) put its target and retention in the payload, so a Celery worker writes
where the scheduler was told to even if its own BACKUP_* settings differ or are unset.
"""

from __future__ import annotations

import logging

from casework.backup import service
from casework.backup.targets import open_target, prune
from casework.jobs.handlers import JobContext

log = logging.getLogger(__name__)


def run_scheduled_backup(ctx: JobContext) -> None:
    settings = ctx.runtime.settings
    location = ctx.payload.get("target") or settings.resolved_backup_target
    keep = int(ctx.payload.get("keep") or settings.backup_keep)
    target, _name = open_target(location, settings)  # a folder or prefix (settings check)
    stored = service.create_backup(runtime=ctx.runtime, target=target)
    removed = prune(target, keep=keep)
    log.info("scheduled backup done", extra={"archive": stored.location, "kept": keep,
                                             "removed": removed})
