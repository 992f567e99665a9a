"""Media test helpers: an OCR requirement that fails in CI, fetching artefacts."""

from __future__ import annotations

import io
import shutil

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


def fetch_image(client, url: str, media_type: str = "image/webp") -> Image.Image:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    assert "immutable" in response.headers["cache-control"]
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image
