"""Hostile files of every format casework parses, uploaded over HTTP.

Each must end as a 2xx (and then a document that is `ready` or `failed` with a reason a
person can read) or as a JSON 4xx - never a stalled worker, a crashed server or a grown
one - and nothing may be written outside DATA_DIR. The generators are in
tests/fixtures/hostile.py; the figures (time per bomb, peak RSS of server and parser
process) are in docs/security.md, "Hostile files", from bench/hostile_files.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

import casework
from casework.ingest.parsers.base import ParseError
from casework.ingest.parsers.pdf import PdfParser
from casework.ingest.sandbox import SandboxChild
from tests.conftest import create_collection, test_settings, wait_for_documents
from tests.fixtures import hostile
from tests.fixtures.files import make_docx, make_html, make_pdf
from tests.fixtures.media import photo, xlsx

MiB = 1024 * 1024
# How far the test process (server and client together) may grow while one bomb is
# handled. The client's own copies of an upload count too (the 70 MB DOCX is held three
# times: the test's bytes, the multipart body, the request the server reads).
RSS_GROWTH_BOUND = 320 * MiB
# Every bomb settles long before this; the limits below make the slow ones fail fast.
SETTLE_SECONDS = 60.0


@dataclass(frozen=True)
class Case:
    name: str  # the upload's filename
    make: Callable[[], bytes]
    # "refused" (a JSON 4xx), "failed", "ready", or "any": a JSON 4xx, ready or failed
    outcome: str
    reason: str = ""  # part of the refusal message, the failure reason or the text read


CASES = [
    Case("self-drawing-xobject.pdf", hostile.pdf_self_drawing_xobject, "failed",
         "SANDBOX_MEMORY_MB"),
    Case("page-tree-cycle.pdf", hostile.pdf_page_tree_cycle, "failed", "cannot be read"),
    Case("deep-page-tree.pdf", hostile.pdf_deep_page_tree, "failed", "cannot be read"),
    Case("huge-content-stream.pdf", hostile.pdf_huge_content_stream, "failed",
         "SANDBOX_MEMORY_MB"),
    Case("inflated-content.pdf", lambda: hostile.pdf_huge_content_stream(256 * MiB),
         "failed", "needed more than 256 MB to load"),
    Case("huge-image.pdf", hostile.pdf_huge_image, "failed", "MAX_IMAGE_PIXELS"),
    Case("100000-blank-pages.pdf", hostile.pdf_blank_pages, "failed",
         "the document has 100,000 pages; the limit is 5,000 (MAX_PAGES)"),
    Case("huge-dimension.xlsx", hostile.xlsx_huge_dimension, "ready", "bottom right"),
    Case("10000-frames.tiff", hostile.tiff_many_frames, "failed",
         "the document has 10,000 pages; the limit is 5,000 (MAX_PAGES)"),
    Case("deep.html", hostile.html_deep_nesting, "failed", "nests elements more than 5,000"),
    Case("many-members.docx", hostile.docx_many_members, "refused", "zip bomb"),
    Case("lying-count.docx", lambda: hostile.docx_many_members(declared=4), "refused",
         "more than 10,000 files"),
    Case("many-members.pptx", hostile.pptx_many_members, "refused", "zip bomb"),
    Case("inflates.docx", hostile.docx_decompression_bomb, "refused", "zip bomb"),
    Case("pixels.png", hostile.png_pixel_bomb, "refused", "MAX_IMAGE_PIXELS"),
    Case("truncated.pdf", lambda: hostile.truncated(make_pdf(["some text"] * 5)), "any"),
    Case("truncated.docx", lambda: hostile.truncated(make_docx(["text"] * 50)), "any"),
    Case("truncated.jpg", lambda: hostile.truncated(photo(800, 600)), "any"),
    Case("truncated.xlsx", lambda: hostile.truncated(xlsx({"S": [["a", 1]] * 200})), "any"),
    *(Case(f"fuzzed-{seed}.pdf", lambda seed=seed: hostile.fuzzed(
        make_pdf(["fuzzed text"] * 3), seed=seed), "any") for seed in (1, 2, 3)),
    Case("fuzzed.docx", lambda: hostile.fuzzed(make_docx(["fuzzed"] * 20), seed=5), "any"),
    Case("fuzzed.html", lambda: hostile.fuzzed(make_html("t", "b" * 2000), seed=7), "any"),
    Case("../../../../../tmp/casework-traversal.txt", lambda: b"escape attempt", "ready"),
    Case("..\\..\\casework-backslash.txt", lambda: b"escape attempt", "ready"),
    Case("\u202etxt.exe\u0000.md", lambda: b"# right-to-left override", "ready"),
    Case("\U0001f4a3 bomb \u00e9t\u00e9 \u4e2d\u6587.txt", lambda: b"unicode name", "ready"),
]


def _hostile_settings(tmp_path: Path, database_url: str | None = None, **overrides: Any):
    """Limits set low enough that every bomb ends in seconds (defaults: see settings)."""
    return test_settings(tmp_path / "data", database_url, sandbox_memory_mb=1024,
                         max_document_seconds=30, **overrides)


@pytest.fixture
def hostile_client(tmp_path: Path, make_client):
    """The embedded shape only: the sandbox is the same whatever holds the rows."""
    return make_client(_hostile_settings(tmp_path))


class PeakRss:
    """The test process's RSS sampled every 10 ms in a thread (the server runs in it)."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.baseline = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


def _files_under(folder: Path, *, skip: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if skip not in p.parents and p != skip}


@pytest.fixture
def outside_data_dir(tmp_path: Path) -> Iterator[Callable[[], set[Path]]]:
    """Files that appeared outside DATA_DIR: in the test's folder and the working folder."""
    data_dir = tmp_path / "data"
    watched = (tmp_path, Path.cwd())
    before = {folder: _files_under(folder, skip=data_dir) for folder in watched[:1]}
    cwd_before = set(Path.cwd().iterdir())

    def new_files() -> set[Path]:
        found = {p for folder, old in before.items()
                 for p in _files_under(folder, skip=data_dir) - old}
        return found | (set(Path.cwd().iterdir()) - cwd_before)

    yield new_files


@pytest.mark.parametrize("case", CASES, ids=[c.name.encode("ascii", "replace").decode()
                                             for c in CASES])
def test_a_hostile_file_ends_cleanly(hostile_client, case: Case, outside_data_dir):
    client = hostile_client
    collection = create_collection(client)
    data = case.make()
    started = time.monotonic()
    with PeakRss() as rss:
        response = client.post(
            f"/api/v1/collections/{collection['id']}/documents",
            files=[("files", (case.name, data, "application/octet-stream"))])
        del data
        if case.outcome == "refused" or (case.outcome == "any"
                                         and response.status_code != 202):
            assert 400 <= response.status_code < 500, response.text
            error = response.json()["error"]
            assert error["code"] and case.reason in error["message"], error
            assert client.get("/api/v1/documents").json()["total"] == 0
        else:
            assert response.status_code == 202, response.text
            ids = [d["document"]["id"] for d in response.json()["documents"]]
            docs = wait_for_documents(client, ids, timeout=SETTLE_SECONDS)
            doc = docs[0]
            if case.outcome == "any":
                assert doc["status"] in ("ready", "failed"), doc
            else:
                assert doc["status"] == case.outcome, doc
            if doc["status"] == "failed":
                assert doc["error"] and len(doc["error"]) < 1000, doc
                assert case.reason in doc["error"], doc
            if doc["status"] == "ready" and case.reason:  # the text was read after all
                pages = client.get(f"/api/v1/documents/{doc['id']}/pages").json()
                assert case.reason in " ".join(page["text"] for page in pages)
            name = doc["filename"]
            assert "/" not in name and "\\" not in name and "\x00" not in name
    elapsed = time.monotonic() - started
    assert rss.growth < RSS_GROWTH_BOUND, f"the process grew {rss.growth // MiB} MiB"
    assert elapsed < SETTLE_SECONDS
    assert outside_data_dir() == set()
    assert not Path("/tmp/casework-traversal.txt").exists()


def test_the_server_survives_a_bomb_and_the_next_file_is_read(
        tmp_path, database_url, shape_overrides, make_client):
    """A killed parser process is replaced: the document after a bomb is processed (on
    every shape: in the scale-out one the parser processes are the Celery worker's)."""
    client = make_client(_hostile_settings(tmp_path, database_url, **shape_overrides))
    collection = create_collection(client)
    bomb = client.post(f"/api/v1/collections/{collection['id']}/documents", files=[
        ("files", ("bomb.pdf", hostile.pdf_huge_content_stream(), "application/pdf"))])
    good = client.post(f"/api/v1/collections/{collection['id']}/documents", files=[
        ("files", ("good.pdf", make_pdf(["the lighthouse keeper"]), "application/pdf"))])
    ids = [bomb.json()["documents"][0]["document"]["id"],
           good.json()["documents"][0]["document"]["id"]]
    failed, ready = wait_for_documents(client, ids, timeout=SETTLE_SECONDS)
    assert failed["status"] == "failed" and "SANDBOX_MEMORY_MB" in failed["error"]
    assert ready["status"] == "ready"
    hits = client.get("/api/v1/search", params={"q": "lighthouse", "mode": "keyword"})
    assert [h["document_id"] for h in hits.json()["hits"]] == [ready["id"]]


def test_a_page_preview_of_a_bomb_page_is_refused_in_the_sandbox(hostile_client):
    """Previews of later pages render on first view: in a parser process too, held to
    MAX_IMAGE_PIXELS, answered as JSON."""
    client = hostile_client
    collection = create_collection(client)
    response = client.post(f"/api/v1/collections/{collection['id']}/documents", files=[
        ("files", ("image.pdf", hostile.pdf_huge_image(), "application/pdf"))])
    doc_id = response.json()["documents"][0]["document"]["id"]
    wait_for_documents(client, [doc_id], timeout=SETTLE_SECONDS)
    with PeakRss() as rss:
        preview = client.get(f"/api/v1/documents/{doc_id}/pages/1/preview")
    assert preview.status_code == 404
    assert "MAX_IMAGE_PIXELS" in preview.json()["error"]["message"]
    assert rss.growth < 64 * MiB


def test_a_slow_file_fails_at_the_wall_time_limit(tmp_path, make_client):
    """MAX_DOCUMENT_SECONDS ends a document whatever it is doing, with the stage named."""
    client = make_client(test_settings(tmp_path / "data", max_document_seconds=1,
                                       ocr_enabled=True))
    collection = create_collection(client)
    # 40 scanned pages: OCR takes well over a second.
    pages = hostile.tiff_many_frames(40)
    response = client.post(f"/api/v1/collections/{collection['id']}/documents",
                           files=[("files", ("scans.tiff", pages, "image/tiff"))])
    doc_id = response.json()["documents"][0]["document"]["id"]
    doc = wait_for_documents(client, [doc_id], timeout=SETTLE_SECONDS)[0]
    assert doc["status"] == "failed"
    assert "longer than 1 s (MAX_DOCUMENT_SECONDS)" in doc["error"], doc


def test_a_cpu_bomb_fails_at_the_cpu_limit(tmp_path, make_client):
    """SANDBOX_CPU_SECONDS: RLIMIT_CPU, renewed for each document a reused child reads."""
    client = make_client(test_settings(tmp_path / "data", sandbox_cpu_seconds=1))
    collection = create_collection(client)
    response = client.post(f"/api/v1/collections/{collection['id']}/documents", files=[
        ("files", ("paths.pdf", hostile.pdf_many_paths(), "application/pdf"))])
    doc_id = response.json()["documents"][0]["document"]["id"]
    doc = wait_for_documents(client, [doc_id], timeout=SETTLE_SECONDS)[0]
    assert doc["status"] == "failed"
    assert "used more than 1 s of CPU while" in doc["error"], doc
    assert "(SANDBOX_CPU_SECONDS)" in doc["error"]


def test_extracted_text_is_limited(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "data", max_text_bytes=MiB))
    collection = create_collection(client)
    text = b"words enough to pass a mebibyte of text\n" * 40_000
    response = client.post(f"/api/v1/collections/{collection['id']}/documents",
                           files=[("files", ("long.txt", text, "text/plain"))])
    doc_id = response.json()["documents"][0]["document"]["id"]
    doc = wait_for_documents(client, [doc_id], timeout=SETTLE_SECONDS)[0]
    assert doc["status"] == "failed"
    assert doc["error"].endswith("the limit is 1 MiB (MAX_TEXT_BYTES)"), doc


def test_a_parser_process_starts_without_the_model_or_the_database(tmp_path):
    """It must start fast: no torch, no sentence-transformers, no SQLAlchemy."""
    source = str(Path(casework.__file__).resolve().parents[1])
    probe = ("import sys, casework.ingest.sandbox_child\n"
             "print(sorted(m for m in ('torch', 'sentence_transformers', 'sqlalchemy', "
             "'fastapi') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=False, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": source})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_ocr_pages_are_limited(tmp_path, make_client):
    client = make_client(test_settings(tmp_path / "data", max_ocr_pages=3))
    collection = create_collection(client)
    response = client.post(f"/api/v1/collections/{collection['id']}/documents", files=[
        ("files", ("scans.tiff", hostile.tiff_many_frames(5), "image/tiff"))])
    doc_id = response.json()["documents"][0]["document"]["id"]
    doc = wait_for_documents(client, [doc_id], timeout=SETTLE_SECONDS)[0]
    assert doc["status"] == "failed"
    assert doc["error"].endswith("the limit is 3 (MAX_OCR_PAGES)"), doc


def _namespaces_allowed() -> bool:
    """Whether this kernel lets an unprivileged, single-threaded process unshare."""
    probe = ("import ctypes; libc = ctypes.CDLL(None, use_errno=True); "
             "print(libc.unshare(0x10000000 | 0x40000000) == 0)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=False)
    return done.stdout.strip() == "True"


def test_a_parser_process_has_no_network_and_no_secrets(hostile_client, tmp_path):
    """A real parser process has a network namespace of its own (where the kernel allows
    one), cannot reach a port the host listens on, and gets none of the server's secrets."""
    pool = hostile_client.app.state.runtime.sandbox
    values = pool.child_settings()
    assert "secret_key" not in values and "database_url" not in values
    child = SandboxChild(pool.settings)
    try:
        expected = "namespace" if _namespaces_allowed() else "sockets disabled"
        assert child.network == expected
    finally:
        child.kill()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        probe = (
            "import socket, sys\n"
            "from casework.ingest.sandbox_child import confine\n"
            "print(confine(memory_bytes=1 << 31, file_bytes=1 << 20))\n"
            f"try:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
            "except OSError as exc:\n    print('refused', exc)\n"
            "else:\n    print('connected')\n")
        source = str(Path(casework.__file__).resolve().parents[1])
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              timeout=60, check=False, cwd=tmp_path,
                              env={**os.environ, "PYTHONPATH": source})
    assert done.returncode == 0, done.stderr
    mode, outcome = done.stdout.splitlines()[:2]
    assert mode == expected
    assert outcome.startswith("refused"), done.stdout


def test_a_pdf_bomb_is_refused_however_much_its_reader_read_before(tmp_path):
    """Parser processes are reused: a bomb after a file that already raised the process's
    peak memory must still be refused (the page-load check once used the lifetime peak,
    and a 256 MB content stream then read as an empty page)."""
    bomb = tmp_path / "inflated-content.pdf"
    bomb.write_bytes(hostile.pdf_huge_content_stream(256 * MiB))
    for _ in range(2):
        with pytest.raises(ParseError, match="PDF bomb"):
            list(PdfParser().parse(bomb).pages)
