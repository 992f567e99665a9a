"""The scheduled backup job: one archive to the configured target, then retention."""

from __future__ import annotations

import logging

from casework.backup import service
from casework.backup.targets import BackupTarget, LocalBackupTarget, prune
from casework.core.settings import Settings
from casework.jobs.handlers import JobContext

log = logging.getLogger(__name__)


def target_from_settings(settings: Settings) -> BackupTarget:
    """The local folder BACKUP_DIR. An S3 target plugs in here (see targets.py)."""
    return LocalBackupTarget(settings.resolved_backup_dir)


def run_scheduled_backup(ctx: JobContext) -> None:
    settings = ctx.runtime.settings
    target = target_from_settings(settings)
    service.create_backup(runtime=ctx.runtime, target=target)
    removed = prune(target, keep=settings.backup_keep)
    if removed:
        log.info("old backups removed", extra={"archives": removed})
