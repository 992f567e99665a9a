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
from pathlib import Path

log = logging.getLogger(__name__)


class HashingSpoolFile:
    """A new file in the spool that hashes and counts what is written to it: the SHA-256
    that names the blob is known once the bytes are on disk, without reading them twice."""

    def __init__(self, tmp_dir: Path, *, prefix: str) -> None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix=prefix)
        self.path = Path(name)
        self.size = 0
        self._handle = os.fdopen(fd, "wb")
        self._digest = hashlib.sha256()

    def write(self, block: bytes) -> None:
        self._digest.update(block)
        self._handle.write(block)
        self.size += len(block)

    def finish(self) -> str:
        """Close the file; its SHA-256, in hex."""
        self._handle.close()
        return self._digest.hexdigest()

    def discard(self) -> None:
        self._handle.close()
        self.path.unlink(missing_ok=True)


def spool_blocks(blocks: Iterable[bytes], *, tmp_dir: Path,
                 prefix: str) -> tuple[Path, int, str]:
    """Write `blocks` to a new spool file while hashing them: (path, size, sha256).

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
    return spooled.path, spooled.size, sha256


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
