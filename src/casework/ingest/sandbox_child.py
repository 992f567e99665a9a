"""The parser process: `python -m casework.ingest.sandbox_child READ_FD WRITE_FD`.

Started by ingest/sandbox.py, it confines itself (no network, capped memory, no core
files, capped file size), then serves one request at a time until its pipe closes. Each
request sets a fresh CPU budget. Messages are JSON, never pickle: a parser subverted by a
file must not be able to run code in the server by what it sends back.
"""

from __future__ import annotations

import ctypes
import json
import resource
import signal
import socket
import sys
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from casework.core.settings import Settings
from casework.ingest.extraction import extract_document, render_page_preview
from casework.ingest.parsers import ParseError
from casework.media.images import apply_pixel_limit

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_PR_SET_PDEATHSIG = 1
# Room for Tesseract's temp images and the spool's last line past MAX_TEXT_BYTES.
_FILE_SLACK = 64 * 1024 * 1024


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


def _cpu_budget(seconds: float) -> None:
    """RLIMIT_CPU counts the process's whole life: allow `seconds` more from now."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (int(used + seconds) + 1, hard))


def _usage() -> dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"max_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2)}


def _serve(request: dict[str, Any], conn: Connection) -> dict[str, Any]:
    values = request["settings"]
    settings = Settings.model_construct(**{**values, "data_dir": Path(values["data_dir"])})
    apply_pixel_limit(settings.max_image_pixels)
    _cpu_budget(settings.sandbox_cpu_seconds)

    def progress(stage: str, page: int | None) -> None:
        conn.send_bytes(json.dumps({"progress": [stage, page]}).encode())

    if request["kind"] == "render_page":
        render_page_preview(path=Path(request["path"]), number=request["number"],
                            out=Path(request["out"]))
        return {}
    return extract_document(path=Path(request["path"]), media_type=request["media_type"],
                            settings=settings, spool_path=Path(request["spool"]),
                            out_dir=Path(request["out_dir"]), progress=progress)


def main(read_fd: int, write_fd: int, memory_bytes: int, file_bytes: int) -> None:
    network = confine(memory_bytes=memory_bytes, file_bytes=file_bytes)
    requests, replies = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    replies.send_bytes(json.dumps({"ready": {"network": network}}).encode())
    while True:
        try:
            request = json.loads(requests.recv_bytes())
        except EOFError:
            return
        try:
            reply: dict[str, Any] = {"done": _serve(request, replies)}
        except ParseError as exc:
            reply = {"failed": str(exc) or "the file could not be read"}
        except MemoryError:
            replies.send_bytes(json.dumps({"failed": "reading the file needed more memory "
                                           "than SANDBOX_MEMORY_MB allows", "exit": True,
                                           "usage": _usage()}).encode())
            return  # a heap that ran dry is not worth reusing
        except Exception as exc:  # any parser bug ends as this file's reason
            trace = traceback.extract_tb(exc.__traceback__)
            where = f" ({trace[-1].name})" if trace else ""
            reply = {"failed": f"the file could not be read: {type(exc).__name__}: "
                               f"{str(exc)[:300]}{where}"}
        reply["usage"] = _usage()
        replies.send_bytes(json.dumps(reply).encode())


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:5]))
