"""Archives (ZIP, TAR plain or gzip/bzip2/xz-compressed, 7z): kept as documents whose text
lists their members; each regular member becomes a document of its own.

The parsers only read: every member goes through the sandbox's `MemberSink`, which names
the file on disk, streams it in chunks and judges the limits (members, bytes, ratio,
depth, paths leaving the archive, links). Declared sizes are handed to the sink before
anything is decompressed; the bytes really written are counted again as they come.
"""

from __future__ import annotations

import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from casework.ingest.parsers.base import (
    ExtractedPage,
    ListedMember,
    MemberSink,
    ParsedDocument,
    ParseError,
)
from casework.ingest.parsers.sevenzip import ENCRYPTED, write_sevenzip_members

CHUNK_BYTES = 1024 * 1024
LINES_PER_PAGE = 500
WriteArchive = Callable[[Path, MemberSink], None]


def _listing_pages(listing: list[ListedMember]) -> Iterator[ExtractedPage]:
    """The members as text (path, size, modified time, why skipped), so the archive is
    found by the names inside it; LINES_PER_PAGE members a page."""
    header = f"Archive of {len(listing):,} members\n"
    for start in range(0, max(len(listing), 1), LINES_PER_PAGE):
        lines = []
        for member in listing[start:start + LINES_PER_PAGE]:
            size = f"{member.size:,} bytes" if member.size is not None else "size unknown"
            when = member.modified_at.strftime("%Y-%m-%d %H:%M") if member.modified_at else ""
            skipped = f"  (skipped: {member.reason})" if member.code else ""
            lines.append(f"{member.inner_path}  {size}  {when}{skipped}".rstrip())
        yield ExtractedPage(start // LINES_PER_PAGE + 1,
                            (header if start == 0 else "") + "\n".join(lines))


class _Archive:
    """Writes an archive's members, then lists them as its pages."""

    def __init__(self, path: Path, write: WriteArchive) -> None:
        self.path = path
        self.write = write
        self.listing: list[ListedMember] = []

    def members(self, sink: MemberSink) -> None:
        self.write(self.path, sink)
        self.listing = sink.listing

    def pages(self) -> Iterator[ExtractedPage]:
        yield from _listing_pages(self.listing)


def _document(path: Path, write: WriteArchive) -> ParsedDocument:
    archive = _Archive(path, write)
    return ParsedDocument(pages=archive.pages(), members=archive.members,
                          members_via="archive")


class _ZipMembers:
    def __init__(self, path: Path, sink: MemberSink) -> None:
        self.path, self.sink = path, sink

    def run(self) -> None:
        try:
            archive = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise ParseError(f"not a readable ZIP archive: {exc}") from None
        with archive:
            infos = archive.infolist()
            self.sink.expect(members=len(infos), total_bytes=sum(i.file_size for i in infos))
            for info in infos:
                if not info.is_dir():
                    self._member(archive, info)

    def _member(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        sink = self.sink
        try:
            modified: datetime | None = datetime(*info.date_time, tzinfo=UTC)
        except ValueError:
            modified = None
        if info.flag_bits & 0x1:
            sink.skip(info.filename, code="encrypted", reason=ENCRYPTED, size=info.file_size,
                      modified_at=modified)
            return
        mode = info.external_attr >> 16
        kind = "file"
        if stat.S_ISLNK(mode):
            kind = "symlink"
        elif stat.S_IFMT(mode) not in (0, stat.S_IFREG):
            kind = "device"
        writer = sink.open(info.filename, size=info.file_size, modified_at=modified, kind=kind)
        if writer is None:
            return
        try:
            with archive.open(info) as fh:
                for chunk in iter(lambda: fh.read(CHUNK_BYTES), b""):
                    writer.write(chunk)
        except (zipfile.BadZipFile, NotImplementedError, zlib.error, EOFError,
                RuntimeError) as exc:
            sink.discard(writer, code="unreadable", reason=f"could not be read: {exc}"[:300])
            return
        sink.close(writer)


class _TarMembers:
    """A TAR read as a stream ("r|*": any compression, one pass, no index in memory)."""

    def __init__(self, path: Path, sink: MemberSink) -> None:
        self.path, self.sink = path, sink

    def run(self) -> None:
        try:
            archive = tarfile.open(self.path, mode="r|*")  # noqa: SIM115 - `with` below
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise ParseError(f"not a readable TAR archive: {exc}") from None
        entries = declared = 0
        with archive:
            try:
                for info in archive:
                    archive.members = []  # a stream keeps every header otherwise
                    entries += 1
                    declared += info.size if info.isreg() else 0
                    self.sink.expect(members=entries, total_bytes=declared)
                    if not info.isdir():
                        self._member(archive, info)
            except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
                raise ParseError(f"the TAR archive is damaged: {exc}") from None

    def _member(self, archive: tarfile.TarFile, info: tarfile.TarInfo) -> None:
        kind = ("file" if info.isreg() else "symlink" if info.issym()
                else "hardlink" if info.islnk() else "device")
        modified = datetime.fromtimestamp(info.mtime, UTC) if info.mtime > 0 else None
        writer = self.sink.open(info.name, size=info.size, modified_at=modified, kind=kind)
        if writer is None:
            return
        fh = archive.extractfile(info)
        if fh is not None:
            for chunk in iter(lambda: fh.read(CHUNK_BYTES), b""):
                writer.write(chunk)
        self.sink.close(writer)


def _write_zip(path: Path, sink: MemberSink) -> None:
    _ZipMembers(path, sink).run()


def _write_tar(path: Path, sink: MemberSink) -> None:
    _TarMembers(path, sink).run()


class ZipParser:
    media_types = ("application/zip",)

    def parse(self, path: Path) -> ParsedDocument:
        return _document(path, _write_zip)


class TarParser:
    media_types = ("application/x-tar", "application/gzip", "application/x-bzip2",
                   "application/x-xz")

    def parse(self, path: Path) -> ParsedDocument:
        return _document(path, _write_tar)


class SevenZipParser:
    media_types = ("application/x-7z-compressed",)

    def parse(self, path: Path) -> ParsedDocument:
        return _document(path, write_sevenzip_members)
