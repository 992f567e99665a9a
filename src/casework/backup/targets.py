"""Where finished backup archives are kept: the `BackupTarget` seam.

An archive is always written to a local staging file first (checksummed as it streams),
then handed to the target. The local target is a folder (a mounted volume, an NFS share);
an S3 target would upload the staged file with boto3 (multipart) and delete it, list keys
under a prefix, and delete old keys for retention - the three methods below, nothing more.
"""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from casework.backup.archive import publish

ARCHIVE_PREFIX = "casework-backup-"
ARCHIVE_SUFFIX = ".tar"
_ARCHIVE_NAME = re.compile(rf"^{ARCHIVE_PREFIX}\d{{8}}T\d{{6}}Z(-\d+)?\{ARCHIVE_SUFFIX}$")


@dataclass(frozen=True, slots=True)
class StoredArchive:
    name: str
    size: int
    location: str


class BackupTarget(Protocol):
    def staging_dir(self) -> Path:
        """A local folder to write an archive in before `store` (same filesystem if local)."""

    def store(self, staged: Path, name: str) -> StoredArchive:
        """Keep the finished `staged` archive under `name`; `staged` is consumed."""

    def list_archives(self) -> list[StoredArchive]:
        """casework archives in this target, oldest first."""

    def delete(self, name: str) -> None: ...


def archive_name(now: datetime | None = None, *, taken: set[str] | None = None) -> str:
    """casework-backup-20261125T153000Z.tar: sortable by time, unique within the target."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    name = f"{ARCHIVE_PREFIX}{stamp}{ARCHIVE_SUFFIX}"
    counter = 1
    while taken and name in taken:
        name = f"{ARCHIVE_PREFIX}{stamp}-{counter}{ARCHIVE_SUFFIX}"
        counter += 1
    return name


class LocalBackupTarget:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def staging_dir(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        # A backup killed mid-way leaves a .partial (never under an archive name): sweep
        # those older than a day, which no running backup can still be writing.
        cutoff = time.time() - 86_400
        for partial in self.directory.glob("*.partial"):
            with contextlib.suppress(FileNotFoundError):
                if partial.stat().st_mtime < cutoff:
                    partial.unlink()
        return self.directory

    def store(self, staged: Path, name: str) -> StoredArchive:
        final = self.directory / name
        publish(staged, final)
        return StoredArchive(name, final.stat().st_size, str(final))

    def list_archives(self) -> list[StoredArchive]:
        if not self.directory.is_dir():
            return []
        found = [StoredArchive(p.name, p.stat().st_size, str(p))
                 for p in self.directory.iterdir()
                 if p.is_file() and _ARCHIVE_NAME.match(p.name)]
        return sorted(found, key=lambda a: a.name)

    def delete(self, name: str) -> None:
        if not _ARCHIVE_NAME.match(name):
            raise ValueError(f"not a casework archive name: {name!r}")
        (self.directory / name).unlink(missing_ok=True)


def prune(target: BackupTarget, *, keep: int) -> list[str]:
    """Delete all but the `keep` newest archives; returns the names removed."""
    archives = target.list_archives()
    doomed = [a.name for a in archives[:max(len(archives) - keep, 0)]]
    for name in doomed:
        target.delete(name)
    return doomed
