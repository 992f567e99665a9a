"""The upload spool (DATA_DIR/tmp): uploads land here before they are published by rename.

A request cut off by a crash or a SIGKILL can leave a partial file behind; nothing refers
to it, so files older than TMP_MAX_AGE_HOURS are removed when a process starts. Anything
younger may belong to an upload in flight in another process and is left alone.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

log = logging.getLogger(__name__)


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
