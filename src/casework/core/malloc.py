"""How many malloc arenas glibc may create in this process.

glibc gives each thread that contends for malloc an arena of its own, up to eight per core.
A casework process runs job threads, the tokenizer's thread pool, onnxruntime and SQLite
side by side; each arena keeps the memory freed into it, so RSS grows by the number of
threads that ever allocated. Capping the arenas at two cut `casework ingest` of 264 real PDFs
from ~830 to ~690 MiB through its embedding phase at the same speed
(docs/benchmarks.md#malloc-arenas).
"""

from __future__ import annotations

import ctypes
import logging
import os
import platform

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)


def limit_malloc_arenas(arenas: int) -> bool:
    """Cap glibc's arenas at `arenas` for threads that start from now on (0: leave glibc's
    default). The environment's MALLOC_ARENA_MAX, read by glibc at start, wins. Returns
    whether the cap was applied; False on a C library other than glibc (e.g. musl)."""
    if arenas <= 0 or "MALLOC_ARENA_MAX" in os.environ or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    applied = bool(mallopt(M_ARENA_MAX, arenas))
    if not applied:
        log.warning("mallopt(M_ARENA_MAX, %d) was refused", arenas)
    return applied
