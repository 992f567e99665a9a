"""The parser process's request loop (ingest/sandbox_child.py starts it once confined).

One request at a time; each sets a fresh CPU budget. Messages are JSON, never pickle: a
parser subverted by a file must not be able to run code in the server by what it sends.
"""

from __future__ import annotations

import json
import resource
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from casework.core.file_errors import unreadable_file_reason
from casework.core.settings import Settings
from casework.ingest.extraction import derive_document, extract_document, render_page_preview
from casework.ingest.parsers import ParseError
from casework.media.images import apply_pixel_limit


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

    if request["kind"] == "derive":
        return derive_document(path=Path(request["path"]), media_type=request["media_type"],
                               settings=settings, out_dir=Path(request["out_dir"]),
                               duration_seconds=request.get("duration_seconds"),
                               progress=progress)
    # Redaction and stamping are imported on their first request, not at every start: they
    # add ~1.5 s of imports to a process replaced every SANDBOX_DOCUMENTS_PER_PROCESS
    # documents, and most processes never see such a request (a 1,500-message mailbox
    # started 11 of them). The process is confined already; a late import changes nothing.
    if request["kind"] == "redaction_search":
        from casework.redaction.pages import search_pages

        return search_pages(path=Path(request["path"]), settings=settings,
                            patterns=request["patterns"], max_hits=request["max_hits"],
                            ocr_dpi=request["dpi"])
    if request["kind"] == "redaction_produce":
        from casework.redaction.drawing import produce

        boxes = {int(page): [tuple(box) for box in page_boxes]
                 for page, page_boxes in request["boxes"].items()}
        return produce(path=Path(request["path"]), out_path=Path(request["out"]),
                       settings=settings, boxes=boxes, dpi=request["dpi"])
    if request["kind"] == "production_stamp":
        from casework.productions.stamping import stamp_document

        text_path = request.get("text_out")
        return stamp_document(path=Path(request["path"]), media_type=request["media_type"],
                              out_path=Path(request["out"]),
                              text_path=Path(text_path) if text_path else None,
                              settings=settings, prefix=request["prefix"],
                              first_number=request["first_number"], digits=request["digits"],
                              position=request["position"], legend=request.get("legend"),
                              max_pages=request["max_pages"])
    if request["kind"] == "render_page":
        render_page_preview(path=Path(request["path"]), number=request["number"],
                            out=Path(request["out"]))
        return {}
    return extract_document(path=Path(request["path"]), media_type=request["media_type"],
                            settings=settings, spool_path=Path(request["spool"]),
                            out_dir=Path(request["out_dir"]), progress=progress,
                            expand_members=bool(request.get("expand_members", True)))


def serve(read_fd: int, write_fd: int, *, network: str) -> None:
    """Answer requests until the server closes the pipe."""
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
            known = unreadable_file_reason(exc)
            trace = traceback.extract_tb(exc.__traceback__)
            where = f" ({trace[-1].name})" if trace else ""
            reply = {"failed": known or f"the file could not be read: "
                                        f"{type(exc).__name__}: {str(exc)[:300]}{where}"}
        reply["usage"] = _usage()
        replies.send_bytes(json.dumps(reply).encode())
