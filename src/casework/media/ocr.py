"""OCR with the Tesseract binary (Debian `tesseract-ocr` plus one package per language).

Tesseract is called as a subprocess, one page at a time with a time limit, so a page that
makes it spin is abandoned rather than holding a worker. If the binary or a language is
missing, OCR is reported as unavailable on the document (with how to enable it) and
ingest carries on: the file is kept and its other facts are still indexed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from casework.core.settings import Settings

# Tesseract reads text best at ~300 DPI; bigger pages only cost time.
MAX_OCR_SIDE = 5000
OCR_DPI_KEY = "ocr_dpi"  # set in Image.info by renderers that know the resolution (PDF pages)
INSTALL_HINT = ("install it with `apt-get install tesseract-ocr tesseract-ocr-eng` "
                "(one tesseract-ocr-<lang> package per language in OCR_LANGUAGES), "
                "or point TESSERACT_COMMAND at the binary, then retry the document")


class OcrUnavailable(Exception):
    """Tesseract (or a language it needs) is not installed; the message says how to fix."""


@dataclass(slots=True)
class OcrReport:
    """What OCR did on one document, kept in its metadata as `ocr`."""

    status: str = "not_needed"  # not_needed | done | partial | unavailable | disabled
    pages: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
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
        if self.failed:
            data["failed_pages"] = {str(k): v for k, v in self.failed.items()}
        return data


class TesseractOcr:
    """One document's OCR: probes the binary once, on the first page that needs it."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.ocr_enabled
        self.command = settings.tesseract_command
        self.languages = settings.ocr_languages
        self.timeout = settings.ocr_page_timeout_seconds
        self.tmp_dir = settings.tmp_dir
        self.report = OcrReport()
        self._probed = False
        self._binary: str | None = None

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
                                     timeout=30, check=False)
            listed = subprocess.run([binary, "--list-langs"], capture_output=True, text=True,
                                    timeout=30, check=False)
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

    def read_page(self, number: int, render: Callable[[], Image.Image]) -> str:
        """The page's text; "" (and a note in the report) when OCR is off, missing or fails.

        `render` is called only when OCR can run: without Tesseract, no page is decoded.
        """
        if not self.enabled:
            self.report.status = "disabled"
            self.report.message = "OCR is off (OCR_ENABLED=false)"
            return ""
        try:
            binary = self._probe()
        except OcrUnavailable:
            self.report.status = "unavailable"
            return ""
        with render() as image:
            text, error = self._run(binary, image, image.info.get(OCR_DPI_KEY))
        if error is None:
            self.report.pages.append(number)
        else:
            self.report.failed[number] = error
        self.report.status = "partial" if self.report.failed else "done"
        return text

    def _run(self, binary: str, image: Image.Image, dpi: int | None) -> tuple[str, str | None]:
        gray = image.convert("L")
        if max(gray.size) > MAX_OCR_SIDE:
            gray.thumbnail((MAX_OCR_SIDE, MAX_OCR_SIDE), Image.Resampling.BICUBIC)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.tmp_dir, prefix="ocr-") as folder:
            source = Path(folder) / "page.pgm"  # uncompressed: fastest to write and read
            gray.save(source)
            command = [binary, str(source), "stdout", "-l", self.languages]
            if dpi:
                command += ["--dpi", str(dpi)]
            try:
                done = subprocess.run(command, capture_output=True, timeout=self.timeout,
                                      check=False)
            except subprocess.TimeoutExpired:
                return "", f"OCR took longer than {self.timeout:g}s (OCR_PAGE_TIMEOUT_SECONDS)"
            except OSError as exc:
                return "", f"Tesseract could not run: {exc}"
        if done.returncode != 0:
            reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
            return "", f"Tesseract failed: {reason[-1] if reason else done.returncode}"
        return done.stdout.decode("utf-8", "replace"), None
