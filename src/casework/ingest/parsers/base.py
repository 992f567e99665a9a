"""The parser seam: one small protocol, one registry keyed by media type."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from PIL.Image import Image


class ParseError(Exception):
    """The file could not be read; the message is shown to the user as the failure reason."""


@dataclass(frozen=True, slots=True)
class ExtractedPage:
    number: int  # 1-based
    text: str
    # A page with no text layer (a scan, a photo) offers an image of itself; the pipeline's
    # OCR stage reads it. Call it before advancing the page iterator.
    render: Callable[[], Image] | None = None
    # Image files also offer a copy about N pixels across (N the argument): OCR_IMAGES=auto
    # looks for words in it before reading the whole image (see media.ocr).
    sample: Callable[[int], Image] | None = None


@dataclass(frozen=True, slots=True)
class EmbeddedFile:
    """A file inside another (an e-mail attachment); ingested as a document of its own."""

    filename: str
    data: bytes


@dataclass(slots=True)
class ParsedDocument:
    """What a parser found. `pages` is lazy so a huge file never sits in memory whole."""

    pages: Iterator[ExtractedPage]
    page_count: int | None = None
    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # Media facts kept in indexed columns (the gallery sorts and pages on them).
    captured_at: datetime | None = None  # UTC
    width: int | None = None  # as displayed, after EXIF orientation
    height: int | None = None
    duration_seconds: float | None = None
    attachments: list[EmbeddedFile] = field(default_factory=list)


class Parser(Protocol):
    media_types: tuple[str, ...]

    def parse(self, path: Path) -> ParsedDocument: ...
