"""Parsing untrusted files in sandboxed child processes, so a file cannot hurt the server.

A crafted PDF took one server past 15 GB of RSS; others held a worker for hours. Every
parser of uploaded bytes (PDFium, Pillow, PyAV, lxml, openpyxl, Tesseract) therefore runs
in a child process (ingest/sandbox_child.py) that has no network, an address-space cap
(SANDBOX_MEMORY_MB), a CPU budget per document (SANDBOX_CPU_SECONDS) and a file-size cap
(MAX_TEXT_BYTES), while the server enforces the wall time (MAX_DOCUMENT_SECONDS) and the
size of each reply. A file that breaks a limit ends as `SandboxFailure` with a reason
naming the limit; the child is killed and replaced, and the server's own memory is
untouched.

Children are long-lived and reused (a start costs ~0.8 s of imports): `SandboxPool`
keeps up to SANDBOX_PROCESSES of them, replacing one after SANDBOX_DOCUMENTS_PER_PROCESS
documents or whenever it dies, and stopping one idle for SANDBOX_IDLE_SECONDS (after an
ingest's text is read, two idle children held ~280 MB through the embedding phase:
docs/benchmarks.md#first-result).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

import casework
from casework.core.settings import Settings
from casework.jobs.failures import TransientJobError

log = logging.getLogger(__name__)

MiB = 1024 * 1024
FILE_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$"  # what a child may name a file it made
MAX_REPLY_BYTES = 16 * MiB  # metadata only: pages, previews and attachments are files
START_SECONDS = 30.0  # a child not ready by then is broken
RENDER_SECONDS = 60.0  # one page preview, rendered while a person waits
CHILD_MODULE = "casework.ingest.sandbox_child"
# What a child gets of the server's settings: never secrets, URLs or credentials.
CHILD_SETTINGS = (
    "data_dir", "max_image_pixels", "ocr_enabled", "ocr_images", "ocr_languages",
    "ocr_page_timeout_seconds", "tesseract_command", "pdf_preview_pages",
    "contact_sheet_interval_seconds", "contact_sheet_max_frames", "max_pages",
    "max_ocr_pages", "max_text_bytes", "max_preview_bytes", "sandbox_cpu_seconds",
    "max_upload_bytes", "container_max_members", "container_max_bytes",
    "container_max_ratio", "container_max_depth", "mailbox_max_messages",
)
# What a child gets of the server's environment: enough to run Python and Tesseract.
CHILD_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "HOME", "TESSDATA_PREFIX",
                     "PYTHONPATH")
_STAGES = {"start": "starting", "open": "opening the file",
           "extract": "extracting page {page}", "previews": "making previews",
           "members": "extracting the files inside it"}


class SandboxFailure(Exception):
    """The document could not be read in the sandbox; the message is the user's reason."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.stage_seconds: dict[str, float] = {}  # how far it got, for the metrics


class SandboxUnavailable(TransientJobError):
    """No parser process could take the work (shutting down, or one would not start).

    Not the document's fault: the job layer retries it like any other transient error.
    """


class PreviewFiles(BaseModel):
    """What a child drew for one document: metadata, and files in the folder it was given."""

    model_config = ConfigDict(extra="forbid")

    metadata: dict[str, Any] = {}
    files: list[Annotated[str, StringConstraints(pattern=FILE_NAME)]] = []
    stage_seconds: dict[str, float] = {}  # set by the server, as for ExtractionResult


class AttachmentFile(BaseModel):
    """A member the child wrote (an attachment, an archive file), and where it sat."""

    filename: Annotated[str, StringConstraints(max_length=1000)]
    file: Annotated[str, StringConstraints(pattern=FILE_NAME)]
    inner_path: Annotated[str, StringConstraints(max_length=1000)]
    modified_at: datetime | None = None


class SkippedMember(BaseModel):
    """A member listed but not written, with a stable code (ingest/members.py)."""

    inner_path: Annotated[str, StringConstraints(max_length=1000)]
    code: Annotated[str, StringConstraints(max_length=32)]
    reason: Annotated[str, StringConstraints(max_length=500)]


class ExtractionResult(BaseModel):
    """What a child reports about one document, validated: the child read hostile bytes,
    so its reply is input like any other (names are plain file names in its folder)."""

    model_config = ConfigDict(extra="forbid")

    pages: Annotated[int, Field(ge=0)]
    page_count: Annotated[int, Field(ge=0)] | None = None
    title: str | None = None
    metadata: dict[str, Any] = {}
    captured_at: datetime | None = None
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    ocr: dict[str, Any] | None = None
    # The members written, one AttachmentFile per line of this file in the folder the
    # child was given (ingest/members.py): read back in batches, never all at once.
    manifest: Annotated[str, StringConstraints(pattern=FILE_NAME)] | None = None
    skipped: Annotated[list[SkippedMember], Field(max_length=100)] = []  # the first ones
    skipped_count: Annotated[int, Field(ge=0)] = 0
    members: Annotated[int, Field(ge=0)] = 0  # entries a container listed
    members_via: Annotated[str, StringConstraints(pattern=r"^[a-z]{1,16}$")] = "attachment"
    # Set by the server from the child's progress messages: open, extract, previews.
    stage_seconds: dict[str, float] = {}


def _describe_death(returncode: int | None, settings: Settings, stage: str) -> str:
    """Why a child died, in the words a user can act on."""
    if returncode == -signal.SIGXCPU:
        return (f"reading the file used more than {settings.sandbox_cpu_seconds:g} s of CPU "
                f"while {stage} (SANDBOX_CPU_SECONDS)")
    if returncode == -signal.SIGXFSZ:
        return (f"the file's text is larger than {settings.max_text_bytes // MiB:,} MiB "
                "(MAX_TEXT_BYTES)")
    if returncode in (-signal.SIGABRT, -signal.SIGSEGV, -signal.SIGBUS, -signal.SIGKILL):
        name = signal.Signals(-returncode).name
        return (f"the parser stopped ({name}) while {stage}: the file needs more than "
                f"{settings.sandbox_memory_mb:,} MB of memory (SANDBOX_MEMORY_MB) or is "
                "built to crash its reader")
    return f"the parser process ended unexpectedly (exit {returncode}) while {stage}"


class SandboxChild:
    """One parser process and its two pipes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.documents = 0
        self.idle_since = 0.0  # set when the pool takes it back
        self.usage: dict[str, float] = {}
        self._budget, self._budget_name = START_SECONDS, "starting a parser process"
        self.stage_seconds: dict[str, float] = {}
        memory = settings.sandbox_memory_mb * MiB
        file_bytes = settings.max_text_bytes + 64 * MiB
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        settings.tmp_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", CHILD_MODULE, str(to_child_r), str(from_child_w),
             str(memory), str(file_bytes)],
            pass_fds=(to_child_r, from_child_w), env=_child_environment(settings),
            cwd=settings.tmp_dir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(to_child_r)
        os.close(from_child_w)
        self._requests = Connection(to_child_w, readable=False)
        self._replies = Connection(from_child_r, writable=False)
        try:
            ready = self._receive(time.monotonic() + START_SECONDS, "start")
        except SandboxFailure as exc:
            raise SandboxUnavailable(f"a parser process did not start: {exc}") from None
        self.network = ready.get("ready", {}).get("network")
        if self.network != "namespace":
            log.warning("parser process %d has no network namespace of its own (%s): the "
                        "kernel refused an unprivileged one", self.process.pid, self.network)
        log.info("parser process %d started", self.process.pid)

    def run(self, request: dict[str, Any], *, seconds: float, limit: str) -> dict[str, Any]:
        """Send one request; return the child's result or raise SandboxFailure.

        `seconds` is the wall time allowed, `limit` the setting a timeout names.
        """
        mark = time.monotonic()
        deadline = mark + seconds
        self._budget, self._budget_name = seconds, limit
        self.documents += 1
        self.usage = {}
        self.stage_seconds = {}
        self._requests.send_bytes(json.dumps(request).encode())
        stage = "open"
        page: int | None = None
        try:
            while True:
                message = self._receive(deadline, stage, page)
                if "progress" in message:
                    now = time.monotonic()
                    self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + now - mark
                    mark = now
                    stage, page = message["progress"]
                    continue
                self.usage = message.get("usage", {})
                if message.get("exit"):
                    self.kill()
                if "failed" in message:
                    raise SandboxFailure(str(message["failed"]))
                return dict(message["done"])
        finally:
            self.stage_seconds[stage] = (self.stage_seconds.get(stage, 0.0)
                                         + time.monotonic() - mark)

    def _receive(self, deadline: float, stage: str, page: int | None = None
                 ) -> dict[str, Any]:
        doing = _STAGES.get(stage, stage).format(page=page)
        remaining = deadline - time.monotonic()
        try:
            if remaining <= 0 or not self._replies.poll(remaining):
                self.kill()
                raise SandboxFailure(
                    f"reading the file took longer than {self._budget:g} s "
                    f"({self._budget_name}); stopped while {doing}")
            raw = self._replies.recv_bytes(MAX_REPLY_BYTES)
        except (EOFError, OSError):
            self.kill()
            raise SandboxFailure(
                _describe_death(self.process.returncode, self.settings, doing)) from None
        return dict(json.loads(raw))

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """Kill the child (and the Tesseract it may be running: its own session)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._requests.close()
        self._replies.close()


def _child_environment(settings: Settings) -> dict[str, str]:
    """The few variables a child needs; the server's secrets stay in the server.

    PYTHONPATH starts with the folder this casework was imported from, so a child runs the
    same code as its server. TMPDIR keeps any library's temp files inside DATA_DIR.
    """
    env = {name: os.environ[name] for name in CHILD_ENVIRONMENT if name in os.environ}
    source = str(Path(casework.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    env["TMPDIR"] = str(settings.tmp_dir.resolve())
    env["OMP_THREAD_LIMIT"] = "1"
    return env


class SandboxPool:
    """Up to SANDBOX_PROCESSES parser processes, started on demand and reused."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._slots = threading.BoundedSemaphore(settings.sandbox_processes)
        # Page previews are rendered while a person waits: they get a child of their own
        # rather than queue behind documents that may take minutes.
        self._preview_slot = threading.BoundedSemaphore(1)
        self._idle: list[SandboxChild] = []
        self._lock = threading.Lock()
        self._closed = False
        self._reaper: threading.Thread | None = None
        self._wake = threading.Event()
        self.last_usage: dict[str, float] = {}

    def child_settings(self) -> dict[str, Any]:
        values = self.settings.model_dump(include=set(CHILD_SETTINGS), mode="json")
        values["data_dir"] = str(self.settings.data_dir.resolve())
        return values

    def extract(self, *, path: Path, media_type: str, spool: Path, out_dir: Path,
                expand_members: bool = True) -> ExtractionResult:
        """Extract one document in a child; see ingest.extraction.extract_document."""
        reply, stage_seconds = self._run({"kind": "extract", "path": str(path.resolve()),
                          "media_type": media_type, "spool": str(spool.resolve()),
                          "out_dir": str(out_dir.resolve()),
                          "expand_members": expand_members})
        try:
            result = ExtractionResult.model_validate(reply)
        except ValidationError as exc:
            raise SandboxFailure(f"the parser process sent a malformed reply ({exc.error_count()}"
                                 " errors)") from None
        result.stage_seconds = stage_seconds
        return result

    def derive(self, *, path: Path, media_type: str, out_dir: Path,
               duration_seconds: float | None) -> PreviewFiles:
        """Draw one document's previews in a child; see ingest.extraction.derive_document."""
        reply, stage_seconds = self._run({"kind": "derive", "path": str(path.resolve()),
                                          "media_type": media_type,
                                          "out_dir": str(out_dir.resolve()),
                                          "duration_seconds": duration_seconds})
        try:
            result = PreviewFiles.model_validate(reply)
        except ValidationError as exc:
            raise SandboxFailure(f"the parser process sent a malformed reply ({exc.error_count()}"
                                 " errors)") from None
        result.stage_seconds = stage_seconds
        return result

    def render_page(self, *, path: Path, number: int, out: Path) -> None:
        """A PDF page's preview, rendered in a child (a page can be a bomb too)."""
        self._run({"kind": "render_page", "path": str(path.resolve()), "number": number,
                   "out": str(out.resolve())}, slots=self._preview_slot,
                  seconds=min(RENDER_SECONDS, self.settings.max_document_seconds))

    def redaction(self, request: dict[str, Any]) -> dict[str, Any]:
        """Redaction work on a PDF in a child (redaction/pages.py, redaction/drawing.py):
        `redaction_search` or `redaction_produce`. The reply is the caller's to validate."""
        if request.get("kind") not in ("redaction_search", "redaction_produce"):
            raise ValueError(f"not a redaction request: {request.get('kind')!r}")
        reply, _ = self._run(dict(request))
        return reply

    def production_stamp(self, request: dict[str, Any]) -> dict[str, Any]:
        """Bates-stamp one document's pages in a child (productions/stamping.py). The reply
        is the caller's to validate."""
        reply, _ = self._run({**request, "kind": "production_stamp"})
        return reply

    def _run(self, request: dict[str, Any], *, slots: threading.BoundedSemaphore | None = None,
             seconds: float | None = None) -> tuple[dict[str, Any], dict[str, float]]:
        """The child's reply, and the seconds it spent in each stage it reported."""
        request["settings"] = self.child_settings()
        limit = "MAX_DOCUMENT_SECONDS" if seconds is None else "a page preview's time"
        with slots or self._slots:
            child = self._take()
            try:
                result = child.run(request, limit=limit,
                                   seconds=seconds or self.settings.max_document_seconds)
            except SandboxFailure as exc:
                exc.stage_seconds = child.stage_seconds
                raise
            finally:
                self.last_usage = child.usage
                self._give_back(child)
        return result, child.stage_seconds

    def _take(self) -> SandboxChild:
        with self._lock:
            if self._closed:
                raise SandboxUnavailable("the server is shutting down")
            while self._idle:
                child = self._idle.pop()
                if child.alive:
                    return child
                child.kill()
        return SandboxChild(self.settings)

    def _give_back(self, child: SandboxChild) -> None:
        if not child.alive or child.documents >= self.settings.sandbox_documents_per_process:
            child.kill()
            return
        child.idle_since = time.monotonic()
        with self._lock:
            if self._closed:
                child.kill()
                return
            self._idle.append(child)
            if self._reaper is None:
                self._reaper = threading.Thread(target=self._reap, name="sandbox-reaper",
                                                daemon=True)
                self._reaper.start()

    def _reap(self) -> None:
        """Stop children idle for SANDBOX_IDLE_SECONDS: once the text of a batch is read,
        they would hold their memory through the whole embedding phase."""
        timeout = self.settings.sandbox_idle_seconds
        while not self._wake.wait(min(timeout, 5.0)):
            now = time.monotonic()
            with self._lock:
                stale = [c for c in self._idle if now - c.idle_since >= timeout]
                self._idle = [c for c in self._idle if c not in stale]
            for child in stale:
                child.kill()

    def close(self) -> None:
        self._wake.set()
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for child in idle:
            child.kill()
