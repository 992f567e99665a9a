"""The parser process: `python -m casework.ingest.sandbox_child READ_FD WRITE_FD`.

Started by ingest/sandbox.py, it confines itself (no network, capped memory, no core
files, capped file size) before importing any parser, then serves requests
(ingest/sandbox_serve.py) until its pipe closes. Only the standard library is imported
before confinement.
"""

from __future__ import annotations

import ctypes
import resource
import signal
import socket
import sys

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_PR_SET_PDEATHSIG = 1


def _no_network() -> str:
    """A network namespace of our own (no interface but a down loopback), else no sockets.

    The namespace also holds Tesseract and anything a native library starts. Where the
    kernel refuses unprivileged namespaces, Python's sockets are disabled instead.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:
        return "namespace"

    def refuse(*_args: object, **_kwargs: object) -> socket.socket:
        raise OSError("no network in a parser process")

    socket.socket = refuse  # type: ignore[misc, assignment]
    socket.create_connection = refuse  # type: ignore[assignment]
    return "sockets disabled"


def confine(*, memory_bytes: int, file_bytes: int) -> str:
    """Apply the limits that hold for the process's whole life; returns how network is cut."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # the server died: so do we
    network = _no_network()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    return network


def main(read_fd: int, write_fd: int, memory_bytes: int, file_bytes: int) -> None:
    network = confine(memory_bytes=memory_bytes, file_bytes=file_bytes)
    # Imported only now, on purpose: unshare() needs a single-threaded process, and the
    # parser libraries start a native thread when imported (then it fails with EINVAL).
    from casework.ingest.sandbox_serve import serve

    serve(read_fd, write_fd, network=network)


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:5]))
