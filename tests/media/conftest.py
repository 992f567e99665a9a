"""Media test helpers: an OCR requirement that fails in CI, a log of what Tesseract was
asked to read, fetching artefacts."""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import service_missing


@pytest.fixture
def tesseract() -> str:
    """OCR tests need Debian's tesseract-ocr; CI installs it, so there a miss is a failure."""
    binary = shutil.which("tesseract")
    if binary is None:
        service_missing("OCR tests need Tesseract: apt-get install tesseract-ocr "
                        "tesseract-ocr-eng")
    return binary


@dataclass(frozen=True)
class TesseractRun:
    width: int
    height: int
    arguments: str


class TesseractLog:
    """TESSERACT_COMMAND pointing at a wrapper that notes the size of every image the real
    Tesseract is asked to read (not the --version / --list-langs probes), then runs it."""

    def __init__(self, folder: Path, binary: str) -> None:
        self.log = folder / "tesseract-runs.log"
        self.command = folder / "tesseract"
        self.command.write_text(
            "#!/bin/sh\n"
            'case "$1" in --*) ;; *) echo "$(head -n 2 "$1" | tail -n 1) $*" >> '
            f'"{self.log}" ;; esac\n'
            f'exec "{binary}" "$@"\n')
        self.command.chmod(0o755)

    def runs(self) -> list[TesseractRun]:
        if not self.log.exists():
            return []
        out = []
        for line in self.log.read_text().splitlines():
            width, height, arguments = line.split(" ", 2)
            out.append(TesseractRun(int(width), int(height), arguments))
        return out


@pytest.fixture
def tesseract_log(tmp_path: Path, tesseract: str) -> TesseractLog:
    return TesseractLog(tmp_path, tesseract)


def fetch_image(client, url: str, media_type: str = "image/webp") -> Image.Image:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    assert "immutable" in response.headers["cache-control"]
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image
