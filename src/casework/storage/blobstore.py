"""The blob store seam: local directory now, S3-compatible bucket in the scale-out shape.

Keys are content-addressed (`<workspace>/originals/<sha256>`), so writing the same bytes
twice is harmless and a key never changes meaning.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol


class BlobNotFound(Exception):
    """No blob under that key."""


class BlobStore(Protocol):
    def put_file(self, key: str, source: Path) -> None:
        """Publish `source` under `key` atomically; `source` is consumed (moved or deleted)."""

    def open_chunks(self, key: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        """Stream the blob in chunks; raises BlobNotFound."""

    def local_path(self, key: str) -> Path | None:
        """A filesystem path to read the blob from, where the store has one."""

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int: ...

    def delete(self, key: str) -> None:
        """Remove the blob; deleting a missing key is not an error."""

    def check(self) -> None:
        """Raise if the store cannot be written to (for readiness checks)."""


def original_key(workspace_id: str, sha256: str) -> str:
    return f"{workspace_id}/originals/{sha256[:2]}/{sha256}"
