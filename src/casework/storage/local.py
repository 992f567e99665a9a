"""Blobs as files under DATA_DIR/blobs, written by temp file + fsync + rename."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from casework.storage.blobstore import BlobNotFound


def _partials(target: Path) -> Iterator[Path]:
    """Unfinished writes of `target` (`LocalBlobWriter`), a crashed writer's included."""
    return target.parent.glob(f".{target.name}.partial-*")


class LocalBlobWriter:
    """A blob streamed into `.<name>.partial-<random>` beside its target, fsynced and renamed
    into place on `commit`: written once, on the filesystem it ends up on."""

    def __init__(self, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        self.target = target
        self.partial = target.with_name(f".{target.name}.partial-{secrets.token_hex(6)}")
        self._handle: IO[bytes] = open(self.partial, "wb", buffering=1024 * 1024)  # noqa: SIM115
        self.size = 0

    def write(self, data: bytes) -> int:
        written = self._handle.write(data)
        self.size += written
        return written

    def commit(self) -> int:
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        os.replace(self.partial, self.target)
        return self.size

    def abort(self) -> None:
        self._handle.close()
        self.partial.unlink(missing_ok=True)


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise ValueError(f"blob key escapes the store: {key!r}")
        return path

    def put_file(self, key: str, source: Path) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(source, "rb") as fh:
            os.fsync(fh.fileno())
        try:
            os.replace(source, target)  # atomic when on the same filesystem
        except OSError:
            # Different filesystem: copy to a temp file beside the target, then rename.
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
                    shutil.copyfileobj(src, out, 1024 * 1024)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            Path(source).unlink(missing_ok=True)

    def put_bytes(self, key: str, data: bytes) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def open_writer(self, key: str) -> LocalBlobWriter:
        return LocalBlobWriter(self._path(key))

    def open_chunks(self, key: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        path = self._path(key)
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed by the generator
        except FileNotFoundError:
            raise BlobNotFound(key) from None

        def _read() -> Iterator[bytes]:
            with fh:
                while block := fh.read(chunk_size):
                    yield block

        return _read()

    def open_range(self, key: str, start: int, length: int,
                   chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        path = self._path(key)
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed by the generator
        except FileNotFoundError:
            raise BlobNotFound(key) from None

        def _read() -> Iterator[bytes]:
            with fh:
                fh.seek(start)
                remaining = length
                while remaining > 0 and (block := fh.read(min(chunk_size, remaining))):
                    remaining -= len(block)
                    yield block

        return _read()

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.exists() else None

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def delete(self, key: str) -> None:
        """Also drops unfinished writes of the key, a killed writer's included."""
        path = self._path(key)
        path.unlink(missing_ok=True)
        if path.parent.is_dir():
            for partial in _partials(path):
                partial.unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        folder = self._path(prefix)
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)

    def check(self) -> None:
        probe = self.root / ".probe"
        probe.write_bytes(b"ok")
        probe.unlink()
