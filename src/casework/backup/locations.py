"""From a location an operator names (`--to`, BACKUP_TARGET, BACKUP_DIR) to its target:
a folder becomes a `LocalBackupTarget` (backup/targets.py), an s3:// location an
`S3BackupTarget` (backup/s3_target.py)."""

from __future__ import annotations

from pathlib import Path

from casework.backup.targets import ARCHIVE_SUFFIX, S3_SCHEME, BackupTarget, LocalBackupTarget
from casework.core.settings import Settings


def open_target(location: str, settings: Settings) -> tuple[BackupTarget, str | None]:
    """The target a location names, and the archive name when it names one (`….tar`).

    `/backups`, `/backups/one.tar`, `s3://bucket/prefix/`, `s3://bucket/prefix/one.tar`.
    S3 locations use the S3_* settings (endpoint, region, keys, SSE) of the blob store.
    """
    if location.startswith(S3_SCHEME):
        # Imported here for start-up speed: boto3 takes about 0.2 s to import, which every
        # `casework` command would pay (the CLI imports this module) for the few using S3.
        from casework.backup.s3_target import S3BackupTarget

        bucket, _, key = location[len(S3_SCHEME):].partition("/")
        name = None
        if key.endswith(ARCHIVE_SUFFIX):
            key, _, name = key.rpartition("/")
        return S3BackupTarget.from_settings(settings, bucket=bucket, prefix=key), name
    path = Path(location)
    if path.suffix == ARCHIVE_SUFFIX:
        return LocalBackupTarget(path.parent), path.name
    return LocalBackupTarget(path), None


def target_from_settings(settings: Settings) -> BackupTarget:
    """BACKUP_TARGET (a folder or s3://bucket/prefix/), else BACKUP_DIR."""
    target, _name = open_target(settings.resolved_backup_target, settings)
    return target
