"""The malloc arena cap: threads started after it share the capped arenas (glibc only)."""

import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc",
                                reason="mallopt(M_ARENA_MAX) is glibc's; nothing to cap here")

# Eight threads allocate at once, then malloc_info names every arena ("<heap nr=...>").
PROGRAM = """
import ctypes, os, sys, tempfile, threading
from casework.core.malloc import limit_malloc_arenas
print(limit_malloc_arenas(int(sys.argv[1])))
barrier = threading.Barrier(8)
def work():
    barrier.wait()
    kept = [bytearray(2000) for _ in range(20000)]
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
libc = ctypes.CDLL(None)
libc.fdopen.restype = ctypes.c_void_p
fd, path = tempfile.mkstemp()
stream = libc.fdopen(os.dup(fd), b"w")
libc.malloc_info(0, ctypes.c_void_p(stream)); libc.fclose(ctypes.c_void_p(stream))
print(open(path).read().count("<heap nr="))
"""


def arenas(cap: int, **env: str) -> tuple[str, int]:
    environment = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run([sys.executable, "-c", PROGRAM, str(cap)], capture_output=True,
                          text=True, check=True, timeout=60, env={**environment, **env})
    applied, count = done.stdout.split()
    return applied, int(count)


def test_the_cap_holds_threads_to_its_arenas():
    assert arenas(2) == ("True", 2)
    applied, uncapped = arenas(0)
    assert applied == "False" and uncapped > 2  # glibc's default: one per contending thread


def test_the_environment_wins():
    applied, count = arenas(2, MALLOC_ARENA_MAX="3")
    assert applied == "False" and count <= 3
