"""The parser seam: one small protocol, one registry keyed by media type."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


class ParseError(Exception):
    """The file could not be read; the message is shown to the user as the failure reason."""


@dataclass(frozen=True, slots=True)
class ExtractedPage:
    number: int  # 1-based
    text: str


@dataclass(slots=True)
class ParsedDocument:
    """What a parser found. `pages` is lazy so a huge file never sits in memory whole."""

    pages: Iterator[ExtractedPage]
    page_count: int | None = None
    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


class Parser(Protocol):
    media_types: tuple[str, ...]

    def parse(self, path: Path) -> ParsedDocument: ...
