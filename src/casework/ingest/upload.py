"""Receive a multipart upload as a stream: to temp files, hashed on the fly, size-limited.

Starlette's own form parsing spools every part before the handler runs, so a 50 GB body
would be written out before we could refuse it. Here each part goes straight to a temp
file under DATA_DIR/tmp while its SHA-256 is computed, and the request is cut off with 413
the moment a file crosses the limit. On any error every temp file of the request is removed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header
from starlette.requests import ClientDisconnect

from casework.core.errors import (
    ClientDisconnected,
    InvalidInput,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from casework.storage.spool import HashingSpoolFile

MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 10_000


@dataclass(slots=True)
class SpooledFile:
    """One received file: where it was spooled, its size and digest as they arrived."""

    field_name: str
    filename: str
    path: Path
    size: int
    sha256: str
    md5: str = ""  # computed in the same pass as sha256, for the custody record
    sha1: str = ""

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


@dataclass(slots=True)
class ReceivedForm:
    files: list[SpooledFile] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        for spooled in self.files:
            spooled.discard()


@dataclass(slots=True)
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    field_name: str = ""
    filename: str | None = None
    spool: HashingSpoolFile | None = None  # None: a plain form field, kept in `value`
    size: int = 0
    value: bytearray = field(default_factory=bytearray)


class _Receiver:
    def __init__(self, *, tmp_dir: Path, max_file_bytes: int, max_files: int) -> None:
        self.tmp_dir = tmp_dir
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self.form = ReceivedForm()
        self.part = _Part()
        self.header_field = bytearray()
        self.header_value = bytearray()
        self.parts = 0

    # --- python-multipart callbacks -------------------------------------------------
    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise InvalidInput(f"too many form parts (limit {MAX_PARTS})")
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.part.headers[bytes(self.header_field).lower()] = bytes(self.header_value)
        self.header_field.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        disposition, options = parse_options_header(
            self.part.headers.get(b"content-disposition", b"")
        )
        if disposition != b"form-data" or b"name" not in options:
            raise InvalidInput("each multipart part needs a form-data Content-Disposition")
        self.part.field_name = options[b"name"].decode("utf-8", "replace")
        if b"filename" in options:
            if len(self.form.files) >= self.max_files:
                raise InvalidInput(f"too many files in one upload (limit {self.max_files})")
            self.part.filename = options[b"filename"].decode("utf-8", "replace")
            self.part.spool = HashingSpoolFile(self.tmp_dir, prefix="upload-")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        part = self.part
        part.size += len(chunk)
        if part.spool is None:
            if part.size > MAX_FIELD_BYTES:
                raise PayloadTooLarge(f"form field {part.field_name!r} is too large")
            part.value += chunk
            return
        if part.size > self.max_file_bytes:
            raise PayloadTooLarge(
                f"{part.filename!r} is larger than the upload limit of "
                f"{self.max_file_bytes} bytes",
                details={"filename": part.filename, "limit_bytes": self.max_file_bytes},
            )
        part.spool.write(chunk)

    def on_part_end(self) -> None:
        part = self.part
        if part.spool is None:
            self.form.fields[part.field_name] = part.value.decode("utf-8", "replace")
            return
        sha256 = part.spool.finish()
        assert part.filename is not None
        self.form.files.append(
            SpooledFile(part.field_name, part.filename, part.spool.path, part.size, sha256,
                        md5=part.spool.md5, sha1=part.spool.sha1)
        )
        self.part = _Part()

    def abort(self) -> None:
        if self.part.spool is not None:
            self.part.spool.discard()
        self.form.discard()


async def receive_multipart(
    *,
    content_type: str | None,
    stream: AsyncIterator[bytes],
    tmp_dir: Path,
    max_file_bytes: int,
    max_files: int,
) -> ReceivedForm:
    """Parse a multipart/form-data body from `stream`; the caller owns the temp files."""
    mime, params = parse_options_header(content_type or "")
    if mime != b"multipart/form-data" or b"boundary" not in params:
        raise UnsupportedMediaType("send files as multipart/form-data")
    tmp_dir.mkdir(parents=True, exist_ok=True)
    receiver = _Receiver(tmp_dir=tmp_dir, max_file_bytes=max_file_bytes, max_files=max_files)
    callbacks = {name: getattr(receiver, name) for name in (
        "on_part_begin", "on_part_data", "on_part_end", "on_header_field",
        "on_header_value", "on_header_end", "on_headers_finished")}
    parser = MultipartParser(params[b"boundary"], callbacks)  # type: ignore[arg-type]
    try:
        async for chunk in stream:
            parser.write(chunk)
        parser.finalize()
        if parser.state != MultipartState.END:
            # python-multipart does not check this: the last part would be dropped, and
            # its temp file left behind, as if the upload had been whole.
            raise InvalidInput("the multipart body ended before its closing boundary: the "
                               "upload was cut short")
    except BaseException as exc:
        receiver.abort()
        if isinstance(exc, ClientDisconnect):
            raise ClientDisconnected("the client disconnected before the upload was "
                                     "complete; nothing was stored") from None
        if isinstance(exc, ValueError) and not isinstance(exc, InvalidInput):
            raise InvalidInput(f"malformed multipart body: {exc}") from None
        raise
    return receiver.form
