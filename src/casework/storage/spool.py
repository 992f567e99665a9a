"""The upload spool (DATA_DIR/tmp): uploads land here before they are published by rename.

A request cut off by a crash or a SIGKILL can leave a partial file behind; nothing refers
to it, so files older than TMP_MAX_AGE_HOURS are removed when a process starts. Anything
younger may belong to an upload in flight in another process and is left alone.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Digests:
    sha256: str
    md5: str
    sha1: str


def digest_blocks(blocks: Iterable[bytes]) -> Digests:
    """The three digests of a stream read once (backfilling documents stored before MD5
    and SHA-1 were kept)."""
    sha256, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    sha1 = hashlib.sha1(usedforsecurity=False)
    for block in blocks:
        sha256.update(block)
        md5.update(block)
        sha1.update(block)
    return Digests(sha256.hexdigest(), md5.hexdigest(), sha1.hexdigest())


class HashingSpoolFile:
    """A new file in the spool that hashes and counts what is written to it: the SHA-256
    that names the blob is known once the bytes are on disk, without reading them twice.
    MD5 and SHA-1 are computed in the same pass for the custody record (other forensic
    tools list files by them); they identify nothing inside casework."""

    def __init__(self, tmp_dir: Path, *, prefix: str) -> None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix=prefix)
        self.path = Path(name)
        self.size = 0
        self._handle = os.fdopen(fd, "wb")
        self._digest = hashlib.sha256()
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha1 = hashlib.sha1(usedforsecurity=False)
        self.md5 = ""
        self.sha1 = ""

    def write(self, block: bytes) -> None:
        self._digest.update(block)
        self._md5.update(block)
        self._sha1.update(block)
        self._handle.write(block)
        self.size += len(block)

    def finish(self) -> str:
        """Close the file; its SHA-256, in hex (`md5` and `sha1` are set too)."""
        self._handle.close()
        self.md5, self.sha1 = self._md5.hexdigest(), self._sha1.hexdigest()
        return self._digest.hexdigest()

    def discard(self) -> None:
        self._handle.close()
        self.path.unlink(missing_ok=True)


def spool_digests(blocks: Iterable[bytes], *, tmp_dir: Path,
                  prefix: str) -> tuple[Path, int, Digests]:
    """Write `blocks` to a new spool file while hashing them: (path, size, digests).

    If `blocks` raises (a size limit, a read error), the partial file is removed.
    """
    spooled = HashingSpoolFile(tmp_dir, prefix=prefix)
    try:
        for block in blocks:
            spooled.write(block)
        sha256 = spooled.finish()
    except BaseException:
        spooled.discard()
        raise
    return spooled.path, spooled.size, Digests(sha256, spooled.md5, spooled.sha1)


def spool_blocks(blocks: Iterable[bytes], *, tmp_dir: Path,
                 prefix: str) -> tuple[Path, int, str]:
    """`spool_digests` for callers that need the SHA-256 alone: (path, size, sha256)."""
    path, size, digests = spool_digests(blocks, tmp_dir=tmp_dir, prefix=prefix)
    return path, size, digests.sha256


def sweep_stale_files(directory: Path, *, max_age_seconds: float) -> int:
    """Remove regular files under `directory` not modified for `max_age_seconds`."""
    if not directory.is_dir():
        return 0
    cutoff = time.time() - max_age_seconds
    removed = 0
    for path in directory.rglob("*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # another process swept it first
    if removed:
        log.info("removed stale upload spool files", extra={"count": removed,
                                                             "directory": str(directory)})
    return removed
