"""The parser seam: one small protocol, one registry keyed by media type."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
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
    """A file inside another (an e-mail attachment, an archive member), already on disk.

    Ingested as a document of its own, linked to its container. `inner_path` is where it
    sat inside the container ("dir/report.pdf"; an attachment's name); never a path on disk.
    """

    filename: str
    path: Path
    inner_path: str
    modified_at: datetime | None = None  # UTC, as the container recorded it


@dataclass(slots=True)
class ListedMember:
    """One entry of a container as found: written (`file`) or skipped (`code`, `reason`)."""

    inner_path: str
    size: int | None
    modified_at: datetime | None
    file: str | None = None
    code: str | None = None
    reason: str | None = None


class MemberWriter(Protocol):
    """One member being written: bytes in chunks, never the whole member in memory."""

    def write(self, chunk: bytes) -> None: ...


class MemberSink(Protocol):
    """Where a container's parser puts its members (ingest/members.py is the one used).

    It names the files, writes them inside the folder it was given and judges the container
    limits (members, bytes, ratio, depth, unsafe paths) as the parser goes: a parser never
    chooses where bytes land on disk. Limits that refuse the whole container raise
    ParseError; what refuses one member is recorded as skipped, with a reason.
    """

    listing: list[ListedMember]  # every entry so far, in order: a container's pages list them

    def expect(self, *, members: int, total_bytes: int) -> None:
        """The container's declared totals, judged before anything is decompressed."""

    def open(self, inner_path: str, *, size: int | None, modified_at: datetime | None = None,
             kind: str = "file") -> MemberWriter | None:
        """Start a member: a writer, or None when it is skipped (already recorded).

        `kind` is "file", "symlink", "hardlink" or "device"; only files are written.
        """

    def close(self, writer: MemberWriter) -> None:
        """The member is complete: it becomes an EmbeddedFile."""

    def skip(self, inner_path: str, *, code: str, reason: str, size: int | None = None,
             modified_at: datetime | None = None) -> None:
        """A member the parser cannot read (encrypted, damaged): listed with the reason."""

    def add(self, inner_path: str, chunks: Iterable[bytes], *, size: int | None = None,
            modified_at: datetime | None = None) -> None:
        """`open`, write every chunk, `close`: for members read by pulling chunks."""

    def discard(self, writer: MemberWriter, *, code: str, reason: str) -> None:
        """A member that failed half-way (a bad CRC, a password): removed, listed skipped."""


# A container's parser hands its members over by calling this with the sink.
WriteMembers = Callable[[MemberSink], None]


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
    # A container (e-mail, archive): writes its members; run before `pages` is read, so a
    # container's pages may list what was found.
    members: WriteMembers | None = None
    # How its members arrived, as their custody records say: "attachment", "archive".
    members_via: str = "attachment"


class Parser(Protocol):
    media_types: tuple[str, ...]

    def parse(self, path: Path) -> ParsedDocument: ...
