"""7z archives' members, written through the sandbox's `MemberSink` (py7zr, pure Python).

py7zr decompresses into writers it asks a factory for, so each member streams to its file
in the sink; nothing is extracted by py7zr itself (it never picks a path on disk).
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Any

from casework.ingest.parsers.base import MemberSink, MemberWriter, ParseError

ENCRYPTED = "encrypted: casework has no password for it"


def _py7zr() -> Any:
    """py7zr, imported on the first 7z: it adds ~0.3 s to every parser process's start."""
    import py7zr

    return py7zr


def write_sevenzip_members(path: Path, sink: MemberSink) -> None:
    py7zr = _py7zr()
    try:
        archive = py7zr.SevenZipFile(path, mode="r")
    except py7zr.PasswordRequired:
        raise ParseError("the 7z archive's list of files is encrypted: casework has no "
                         "password for it") from None
    except (py7zr.Bad7zFile, py7zr.exceptions.UnsupportedCompressionMethodError, OSError,
            ValueError, EOFError) as exc:
        raise ParseError(f"not a readable 7z archive: {exc}") from None
    with archive:
        infos = archive.list()
        sink.expect(members=len(infos), total_bytes=sum(i.uncompressed or 0 for i in infos))
        encrypted = archive.needs_password()
        writers: dict[str, MemberWriter] = {}
        for info in infos:
            if info.is_directory:
                continue
            modified = info.creationtime
            if modified is not None and modified.tzinfo is not None:
                modified = modified.astimezone(UTC)
            if encrypted:
                sink.skip(info.filename, code="encrypted", reason=ENCRYPTED,
                          size=info.uncompressed, modified_at=modified)
                continue
            kind = "file" if info.is_file else "symlink" if info.is_symlink else "device"
            writer = sink.open(info.filename, size=info.uncompressed, modified_at=modified,
                               kind=kind)
            if writer is not None:
                writers[info.filename] = writer
        if not writers:
            return
        try:
            archive.extract(targets=list(writers), factory=_factory(py7zr, writers))
        except (py7zr.Bad7zFile, py7zr.exceptions.CrcError, OSError, ValueError,
                EOFError) as exc:
            for writer in writers.values():
                sink.discard(writer, code="unreadable", reason=f"could not be read: {exc}"[:300])
            return
        for writer in writers.values():
            sink.close(writer)


def _factory(py7zr: Any, writers: dict[str, MemberWriter]) -> Any:
    """A py7zr WriterFactory handing out the sink's writers (a no-op one for any name that
    was not asked for)."""

    class SinkIO(py7zr.io.Py7zIO):  # type: ignore[misc]
        def __init__(self, writer: MemberWriter | None) -> None:
            self.writer, self.written = writer, 0

        def write(self, s: bytes | bytearray) -> int:
            if self.writer is not None:
                self.writer.write(bytes(s))
            self.written += len(s)
            return len(s)

        def read(self, size: int | None = None) -> bytes:
            return b""

        def seek(self, offset: int, whence: int = 0) -> int:
            return 0

        def flush(self) -> None:
            return None

        def size(self) -> int:
            return self.written

    class SinkFactory(py7zr.io.WriterFactory):  # type: ignore[misc]
        def create(self, filename: str) -> Any:
            return SinkIO(writers.get(filename))

    return SinkFactory()
