"""OCR with the Tesseract binary (Debian `tesseract-ocr` plus one package per language).

Tesseract is called as a subprocess, one page at a time with a time limit, so a page that
makes it spin is abandoned rather than holding a worker, and with one OpenMP thread: its
default of one per core only contends with the other job workers (on a busy 2-core machine
a page took 4x the CPU). If the binary or a language is missing, OCR is reported as
unavailable on the document (with how to enable it) and ingest carries on: the file is
kept and its other facts are still indexed.

PDF pages without a text layer are always read. Which images are is OCR_IMAGES:

- `always`: every image, in full. `never`: none.
- `auto` (the default): a grey or bilevel image is a scan, read in full. A colour image (a
  photo) first gets a quick pass on a copy `QUICK_PASS_SIDE` px across, the preview's
  largest size (text a person could read in a preview), and is read in full only if that
  finds a word Tesseract is sure of (confidence >= 80, four or more letters or digits).
  Texture makes Tesseract see short, unsure "words"; text gives sure, longer ones. A 12 MP photo
  without text then costs one Tesseract run on 1.2 megapixels instead of a full read of 12
  (docs/benchmarks.md#ocr-of-photos). What the quick pass cannot see (a caption smaller than
  the preview shows, in a photo with no other text) is missed; `always` reads it.

Colour images are read in sparse-text mode (`--psm 11`): text in a photo is scattered
(signs, labels, a page on a desk) and the page-layout mode finds none of it in a busy scene.
Their words below confidence 60, and "words" without a letter or digit, are dropped: in a
photo those are texture, not text. Scans keep the page-layout mode and every word.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from casework.core.settings import Settings
from casework.media.thumbnails import PREVIEW

# Tesseract reads text best at ~300 DPI; bigger pages only cost time.
MAX_OCR_SIDE = 5000
# Text a person could read in a preview: its largest size (a 12 MP photo's preview is its
# 1000 px reduced decode; the quick pass keeps 1280, what OCR_IMAGES=auto was measured at).
QUICK_PASS_SIDE = PREVIEW
OCR_DPI_KEY = "ocr_dpi"  # set in Image.info by renderers that know the resolution (PDF pages)
INSTALL_HINT = ("install it with `apt-get install tesseract-ocr tesseract-ocr-eng` "
                "(one tesseract-ocr-<lang> package per language in OCR_LANGUAGES), "
                "or point TESSERACT_COMMAND at the binary, then retry the document")
SURE_CONFIDENCE = 80
SURE_CHARACTERS = 4
PICTURE_MIN_CONFIDENCE = 60
_SPARSE_TEXT = "11"  # Tesseract's page segmentation mode: "as much text as possible"
_GREY = "L"  # images.encodable turns bilevel and 16-bit images into this mode


class OcrUnavailable(Exception):
    """Tesseract (or a language it needs) is not installed; the message says how to fix."""


class OcrFailed(Exception):
    """Tesseract ran and failed on this image (a time limit, a crash); the message says."""


@dataclass(slots=True)
class OcrReport:
    """What OCR did on one document, kept in its metadata as `ocr`."""

    status: str = "not_needed"  # not_needed | done | partial | no_text | unavailable | disabled
    pages: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    no_text_pages: list[int] = field(default_factory=list)  # the quick pass found no words
    engine: str | None = None
    languages: str | None = None
    message: str | None = None

    def as_metadata(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status}
        for key in ("engine", "languages", "message"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.pages:
            data["pages"] = self.pages
        if self.no_text_pages:
            data["no_text_pages"] = self.no_text_pages
        if self.failed:
            data["failed_pages"] = {str(k): v for k, v in self.failed.items()}
        return data


def _words(tsv: str) -> Iterator[tuple[tuple[int, int, int], float, str]]:
    """(block, paragraph, line), confidence and text of each word in Tesseract's TSV."""
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) == 12 and cells[0] == "5" and cells[11].strip():
            yield (int(cells[2]), int(cells[3]), int(cells[4])), float(cells[10]), cells[11]


def has_sure_word(tsv: str) -> bool:
    """Whether Tesseract is sure of at least one word: the quick pass's "there is text"."""
    return any(confidence >= SURE_CONFIDENCE
               and sum(char.isalnum() for char in text) >= SURE_CHARACTERS
               for _, confidence, text in _words(tsv))


def text_from_tsv(tsv: str, *, min_confidence: float) -> str:
    """The words at or above `min_confidence` that hold a letter or digit (a lone dash or
    slash is an edge, not text), a line of text per line Tesseract found and a blank line
    between blocks, in Tesseract's reading order."""
    lines: dict[tuple[int, int, int], list[str]] = {}
    for line, confidence, text in _words(tsv):
        if confidence >= min_confidence and any(char.isalnum() for char in text):
            lines.setdefault(line, []).append(text)
    out: list[str] = []
    previous_block: int | None = None
    for (block, _, _), words in lines.items():
        if previous_block is not None and block != previous_block:
            out.append("")
        out.append(" ".join(words))
        previous_block = block
    return "\n".join(out)


class TesseractOcr:
    """One document's OCR: probes the binary once, on the first page that needs it."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.ocr_enabled
        self.images = settings.ocr_images
        self.command = settings.tesseract_command
        self.languages = settings.ocr_languages
        self.timeout = settings.ocr_page_timeout_seconds
        self.tmp_dir = settings.tmp_dir
        self.report = OcrReport()
        self._probed = False
        self._binary: str | None = None
        # Tesseract needs PATH and the like; its OpenMP threads only fight the other workers.
        self._env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def _probe(self) -> str:
        if self._probed:
            if self._binary is None:
                raise OcrUnavailable(self.report.message or "OCR is unavailable")
            return self._binary
        self._probed = True
        binary = shutil.which(self.command)
        if binary is None:
            self.report.message = f"Tesseract ({self.command!r}) is not installed: {INSTALL_HINT}"
            raise OcrUnavailable(self.report.message)
        try:
            version = subprocess.run([binary, "--version"], capture_output=True, text=True,
                                     timeout=30, check=False, env=self._env)
            listed = subprocess.run([binary, "--list-langs"], capture_output=True, text=True,
                                    timeout=30, check=False, env=self._env)
        except (OSError, subprocess.TimeoutExpired) as exc:
            self.report.message = f"Tesseract could not be run ({exc}): {INSTALL_HINT}"
            raise OcrUnavailable(self.report.message) from None
        installed = {line.strip() for line in listed.stdout.splitlines()[1:]}
        missing = [lang for lang in self.languages.split("+") if lang not in installed]
        if missing:
            self.report.message = (f"Tesseract has no data for {', '.join(missing)}: install "
                                   + " ".join(f"tesseract-ocr-{m}" for m in missing))
            raise OcrUnavailable(self.report.message)
        first = (version.stdout or version.stderr).splitlines()
        self.report.engine = first[0].strip() if first else "tesseract"
        self.report.languages = self.languages
        self._binary = binary
        return binary

    def read_page(self, number: int, render: Callable[[], Image.Image], *,
                  sample: Callable[[int], Image.Image] | None = None) -> str:
        """The page's text; "" (and a note in the report) when OCR is off, missing, fails
        or, for an image, OCR_IMAGES says not to read it.

        `render` and `sample` are called only when OCR can run: without Tesseract, no page
        is decoded. Image files offer `sample` (a copy the given number of pixels across);
        PDF pages do not, and are read whatever OCR_IMAGES says.
        """
        if not self.enabled:
            return self._off("OCR is off (OCR_ENABLED=false)")
        if sample is not None and self.images == "never":
            return self._off("OCR of images is off (OCR_IMAGES=never)")
        try:
            binary = self._probe()
        except OcrUnavailable:
            self.report.status = "unavailable"
            return ""
        if sample is not None and self.images == "auto" and not self._quick_pass_finds_text(
                binary, number, sample):
            return ""
        with render() as image:
            picture = sample is not None and image.mode != _GREY
            output, error = self._run(binary, image, image.info.get(OCR_DPI_KEY),
                                      sparse=picture)
        if error is None:
            self.report.pages.append(number)
        else:
            self.report.failed[number] = error
        self._settle()
        if picture:
            return text_from_tsv(output, min_confidence=PICTURE_MIN_CONFIDENCE)
        return output

    def _quick_pass_finds_text(self, binary: str, number: int,
                               sample: Callable[[int], Image.Image]) -> bool:
        """auto: False (and the page noted) when a colour image shows no sure word."""
        with sample(QUICK_PASS_SIDE) as small:
            if small.mode == _GREY:
                return True  # a scan: read it
            output, error = self._run(binary, small, None, sparse=True)
        if error is not None:
            # The full read would fail the same way, only slower.
            self.report.failed[number] = error
        elif has_sure_word(output):
            return True
        else:
            self.report.no_text_pages.append(number)
            self.report.message = (f"no text found by a quick pass on a {QUICK_PASS_SIDE} px "
                                   "copy (OCR_IMAGES=auto); OCR_IMAGES=always reads every "
                                   "image in full")
        self._settle()
        return False

    def _off(self, message: str) -> str:
        self.report.status = "disabled"
        self.report.message = message
        return ""

    def _settle(self) -> None:
        report = self.report
        if report.failed:
            report.status = "partial"
        elif report.pages:
            report.status = "done"
        elif report.no_text_pages:
            report.status = "no_text"

    def output(self, image: Image.Image, *, dpi: int | None,
               configs: tuple[str, ...] = ()) -> bytes:
        """Tesseract's raw output for `image` (read in grey) in the page-layout mode: plain
        text, or what `configs` ask for ("tsv" for word boxes; "-c", "textonly_pdf=1",
        "pdf" for a page of the words alone as invisible text: redaction/drawing.py).
        Raises OcrUnavailable, or OcrFailed."""
        output, error = self._run_bytes(self._probe(), image, dpi, extra=list(configs))
        if error is not None:
            raise OcrFailed(error)
        return output

    def _run(self, binary: str, image: Image.Image, dpi: int | None, *,
             sparse: bool = False) -> tuple[str, str | None]:
        """Tesseract's output (plain text; TSV with `sparse`) and an error, if any."""
        output, error = self._run_bytes(binary, image, dpi,
                                        extra=["--psm", _SPARSE_TEXT, "tsv"] if sparse else [])
        return output.decode("utf-8", "replace"), error

    def _run_bytes(self, binary: str, image: Image.Image, dpi: int | None, *,
                   extra: list[str]) -> tuple[bytes, str | None]:
        picture = image.convert("L")
        if max(picture.size) > MAX_OCR_SIDE:
            picture = picture.copy() if picture is image else picture  # not the caller's
            picture.thumbnail((MAX_OCR_SIDE, MAX_OCR_SIDE), Image.Resampling.BICUBIC)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.tmp_dir, prefix="ocr-") as folder:
            # Uncompressed: fastest to write and read.
            source = Path(folder) / "page.pgm"
            picture.save(source)
            command = [binary, str(source), "stdout", "-l", self.languages]
            if dpi:
                command += ["--dpi", str(dpi)]
            command += extra
            try:
                done = subprocess.run(command, capture_output=True, timeout=self.timeout,
                                      check=False, env=self._env)
            except subprocess.TimeoutExpired:
                return b"", f"OCR took longer than {self.timeout:g}s (OCR_PAGE_TIMEOUT_SECONDS)"
            except OSError as exc:
                return b"", f"Tesseract could not run: {exc}"
        if done.returncode != 0:
            reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
            return b"", f"Tesseract failed: {reason[-1] if reason else done.returncode}"
        return done.stdout, None
