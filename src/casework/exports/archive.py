"""Writing an export's ZIP as one forward stream into the blob store, hashing as it goes.

The archive is never seeked: each member's sizes and CRC follow its data in a data
descriptor (zipfile does this by itself on a stream it cannot seek), so the ZIP goes
straight into a `BlobWriter` (a partial file renamed into place, or an S3 multipart upload)
and is written exactly once. Each member's SHA-256 and size are taken from the bytes as
they pass, for the manifest; the whole archive's SHA-256 too, for the download.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from casework.storage.blobstore import BlobWriter

# Unix permissions rw-r--r-- for every member (zipfile's default is rw-------).
_MEMBER_MODE = 0o644 << 16


class _HashingSink:
    """The file object zipfile writes to: forwards to the blob writer, counts, hashes.

    No `seek` or `tell`: zipfile then treats it as a stream (data descriptors) and never
    comes back to rewrite a header.
    """

    def __init__(self, target: BlobWriter) -> None:
        self.target = target
        self.size = 0
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.target.write(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        """Nothing to do: the blob writer buffers on its own and publishes on commit."""


@dataclass(frozen=True, slots=True)
class WrittenMember:
    path: str
    size: int
    sha256: str


class ExportArchive:
    """A ZIP being written: add members one after another, then `close()`."""

    def __init__(self, target: BlobWriter, *, when: datetime) -> None:
        self._sink = _HashingSink(target)
        # Not strict about timestamps: ZIP cannot hold dates before 1980, clamp them.
        self._zip = zipfile.ZipFile(self._sink, mode="w", allowZip64=True,  # type: ignore[arg-type]
                                    strict_timestamps=False)
        self._when = (max(when.year, 1980), when.month, when.day, when.hour, when.minute,
                      when.second)
        self.paths: set[str] = set()

    def add(self, path: str, chunks: Iterable[bytes], *, compress: bool,
            size: int | None = None,
            on_bytes: Callable[[int], None] | None = None) -> WrittenMember:
        """Stream `chunks` into the member `path`; its size and SHA-256 as written.

        `size`, when known, lets zipfile choose the small (non-ZIP64) header; otherwise
        the header is ZIP64, which every current unzip reads, so a text of more than 4 GB
        cannot fail half-way. `on_bytes` hears each chunk's length (progress).
        """
        if path in self.paths:
            raise ValueError(f"two members named {path!r}")
        self.paths.add(path)
        info = zipfile.ZipInfo(path, date_time=self._when)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = _MEMBER_MODE
        if size is not None:
            info.file_size = size
        digest = hashlib.sha256()
        written = 0
        with self._zip.open(info, mode="w", force_zip64=size is None) as member:
            for chunk in chunks:
                digest.update(chunk)
                member.write(chunk)
                written += len(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
        return WrittenMember(path, written, digest.hexdigest())

    def add_bytes(self, path: str, data: bytes, *, compress: bool = True) -> WrittenMember:
        return self.add(path, [data], compress=compress, size=len(data))

    def abandon(self) -> None:
        """After a failure: write nothing more (not even the central directory when the
        ZipFile is collected); the caller aborts the blob writer."""
        self._zip.fp = None

    def close(self) -> tuple[int, str]:
        """Write the central directory; the archive's size and SHA-256."""
        self._zip.close()
        return self._sink.size, self._sink.digest.hexdigest()
