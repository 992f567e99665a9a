"""The blob store seam: local directory now, S3-compatible bucket in the scale-out shape.

Keys are content-addressed (`<workspace>/originals/<sha256>`), so writing the same bytes
twice is harmless and a key never changes meaning. Artefacts derived from an original
(thumbnails, posters, page previews) live under `<workspace>/derived/<sha256>/`, so they are
shared by every document with those bytes and removed with the original.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol


class BlobNotFound(Exception):
    """No blob under that key."""


class BlobWriter(Protocol):
    """A blob written as a stream of unknown length (an export archive as it is built).

    Nothing is visible under the key until `commit`, so a reader never sees half a blob;
    `abort` (or a crash) publishes nothing.
    """

    def write(self, data: bytes) -> int: ...

    def commit(self) -> int:
        """Publish the blob; returns its size in bytes."""

    def abort(self) -> None:
        """Drop what was written; safe to call after a failed commit."""


class BlobStore(Protocol):
    def put_file(self, key: str, source: Path) -> None:
        """Publish `source` under `key` atomically; `source` is consumed (moved or deleted)."""

    def put_bytes(self, key: str, data: bytes) -> None:
        """Publish small `data` (a thumbnail, a preview) under `key` atomically."""

    def open_writer(self, key: str) -> BlobWriter:
        """Write a blob of unknown length as a stream, published on `commit()`: the local
        store through a partial file renamed into place, S3 as a multipart upload holding
        one part in memory. Neither keeps a second copy of the whole blob."""

    def open_chunks(self, key: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        """Stream the blob in chunks; raises BlobNotFound."""

    def open_range(self, key: str, start: int, length: int,
                   chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        """Stream `length` bytes from offset `start` (HTTP range requests); BlobNotFound.

        The caller has checked the range against `size()`. An S3 store implements this with
        a ranged GET (`Range: bytes=start-(start+length-1)`), never by reading the whole
        object: range requests exist so a viewer can seek in a multi-gigabyte video.
        """

    def local_path(self, key: str) -> Path | None:
        """A filesystem path to read the blob from, where the store has one."""

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int: ...

    def delete(self, key: str) -> None:
        """Remove the blob; deleting a missing key is not an error."""

    def delete_prefix(self, prefix: str) -> None:
        """Remove every blob whose key starts with `prefix` + "/" (an original's derived
        artefacts). An S3 store lists the prefix and deletes in batches."""

    def check(self) -> None:
        """Raise if the store cannot be written to (for readiness checks)."""


def original_key(workspace_id: str, sha256: str) -> str:
    return f"{workspace_id}/originals/{sha256[:2]}/{sha256}"


def derived_key(workspace_id: str, sha256: str, name: str) -> str:
    """Where an artefact derived from the original with this digest is kept."""
    return f"{derived_prefix(workspace_id, sha256)}/{name}"


def derived_prefix(workspace_id: str, sha256: str) -> str:
    return f"{workspace_id}/derived/{sha256}"


@contextmanager
def local_copy(blobs: BlobStore, key: str, tmp_dir: Path) -> Iterator[Path]:
    """A readable file for parsers: the blob itself on disk, or a streamed temp copy."""
    path = blobs.local_path(key)
    if path is not None:
        yield path
        return
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="extract-")
    try:
        with open(fd, "wb") as out:
            for block in blobs.open_chunks(key):
                out.write(block)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def report_prefix(workspace_id: str, collection_id: str) -> str:
    """Every report file of a collection: removed with the collection."""
    return f"{workspace_id}/reports/{collection_id}"


def report_key(workspace_id: str, collection_id: str, report_id: str, name: str) -> str:
    """A generated report's file (`report.pdf`, `report.html`, `inventory.csv`). Not
    content-addressed: two reports of one collection may hold the same bytes."""
    return f"{report_prefix(workspace_id, collection_id)}/{report_id}/{name}"
