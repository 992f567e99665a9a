"""Where finished backup archives are kept: the `BackupTarget` seam, a folder or a bucket.

An archive is streamed into the target as it is produced (`begin` → write → `commit`), so
neither the local disk nor memory ever has to hold a second copy of it: a folder target
writes `<name>.partial` and renames it on commit, the S3 target (`backup/s3_target.py`)
sends a multipart upload and completes it on commit. Either way an archive under its
final name is always complete, and a failed backup leaves nothing that looks like one.

This module holds what both kinds share and the folder target; `backup/locations.py`
turns a location an operator names into one or the other.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol

from casework.backup.archive import BackupError

ARCHIVE_PREFIX = "casework-backup-"
ARCHIVE_SUFFIX = ".tar"
_ARCHIVE_NAME = re.compile(rf"^{ARCHIVE_PREFIX}\d{{8}}T\d{{6}}Z(-\d+)?\{ARCHIVE_SUFFIX}$")
S3_SCHEME = "s3://"
STALE_PARTIAL_SECONDS = 86_400  # no running backup can still be writing after a day


@dataclass(frozen=True, slots=True)
class StoredArchive:
    name: str
    size: int
    location: str


class ArchiveUpload(Protocol):
    """An archive being written into a target: invisible until `commit`."""

    def write(self, data: bytes) -> int: ...

    def commit(self) -> StoredArchive:
        """Publish the complete archive under its name."""

    def abort(self) -> None:
        """Throw away what was written; nothing appears in the target."""


class BackupTarget(Protocol):
    location: str  # how operators name it: a folder path or s3://bucket/prefix/

    def begin(self, name: str) -> ArchiveUpload: ...

    def open(self, name: str) -> IO[bytes]:
        """The archive `name` as a readable stream; BackupError if there is none."""

    def list_archives(self) -> list[StoredArchive]:
        """casework archives in this target, oldest first (names sort by time)."""

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


def is_archive_name(name: str) -> bool:
    """Only names casework gives its own archives: retention never touches anything else."""
    return bool(_ARCHIVE_NAME.match(name))


class _LocalUpload:
    def __init__(self, directory: Path, name: str) -> None:
        self.final = directory / name
        self.partial = directory / f"{name}.partial"
        self._handle: IO[bytes] = open(self.partial, "wb")  # noqa: SIM115 - commit/abort close

    def write(self, data: bytes) -> int:
        return self._handle.write(data)

    def commit(self) -> StoredArchive:
        self._handle.flush()
        os.fsync(self._handle.fileno())  # then rename: the final name is always complete
        self._handle.close()
        os.replace(self.partial, self.final)
        return StoredArchive(self.final.name, self.final.stat().st_size, str(self.final))

    def abort(self) -> None:
        self._handle.close()
        self.partial.unlink(missing_ok=True)


class LocalBackupTarget:
    """A folder: a mounted volume, an NFS share, a disk another tool copies off-site."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.location = str(directory)

    def begin(self, name: str) -> ArchiveUpload:
        self.directory.mkdir(parents=True, exist_ok=True)
        # A backup killed mid-way leaves a .partial (never under an archive name).
        cutoff = time.time() - STALE_PARTIAL_SECONDS
        for partial in self.directory.glob("*.partial"):
            with contextlib.suppress(FileNotFoundError):
                if partial.stat().st_mtime < cutoff:
                    partial.unlink()
        return _LocalUpload(self.directory, name)

    def open(self, name: str) -> IO[bytes]:
        path = self.directory / name
        if not path.is_file():
            raise BackupError(f"no backup archive at {path}")
        return open(path, "rb")

    def list_archives(self) -> list[StoredArchive]:
        if not self.directory.is_dir():
            return []
        found = [StoredArchive(p.name, p.stat().st_size, str(p))
                 for p in self.directory.iterdir()
                 if p.is_file() and is_archive_name(p.name)]
        return sorted(found, key=lambda a: a.name)

    def delete(self, name: str) -> None:
        if not is_archive_name(name):
            raise ValueError(f"not a casework archive name: {name!r}")
        (self.directory / name).unlink(missing_ok=True)


def prune(target: BackupTarget, *, keep: int) -> list[str]:
    """Delete all but the `keep` newest archives; returns the names removed."""
    archives = target.list_archives()
    doomed = [a.name for a in archives[:max(len(archives) - keep, 0)]]
    for name in doomed:
        target.delete(name)
    return doomed
