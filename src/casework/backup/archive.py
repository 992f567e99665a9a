"""The backup archive format: a plain tar whose last member is a manifest of checksums.

    database/casework.sqlite3 | database/casework.pgdump   the database snapshot
    blobs/<key>                                           every blob, by its store key
    index/<file>                                          vector index files
    manifest.json                                         format, versions, sha256 of each

Plain tar, not gzip: originals are mostly compressed already and a plain tar can be
streamed and listed cheaply. The manifest goes last because checksums are computed while
the files stream in; a reader hashes every member as it extracts and compares at the end,
so a truncated or altered archive is refused before anything in the installation changes.
Both directions are pure streams (tar's "w|" and "r|" modes): an archive can be written
straight into an S3 multipart upload and read straight from a GET, never seeking.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

FORMAT = "casework-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
COPY_BLOCK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore cannot go on; the message says why and what to do."""


class _HashingReader(io.RawIOBase):
    """Wraps a file so tarfile's read of it also computes its SHA-256."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


class _ChunkReader(io.RawIOBase):
    """A readable stream over an iterator of byte chunks (a blob store's `open_chunks`)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count


@dataclass
class ArchiveWriter:
    """Streams files into a new tar on `sink`, recording each one's size and checksum.

    The sink is only ever written to, in order (tar stream mode), so it can be a local
    file or an S3 multipart upload alike; closing the writer ends the tar but leaves the
    sink open for its owner to publish or abort.
    """

    sink: IO[bytes]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    _tar: tarfile.TarFile | None = None

    def __enter__(self) -> ArchiveWriter:
        self._tar = tarfile.open(fileobj=self.sink, mode="w|",
                                 format=tarfile.PAX_FORMAT)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._tar is not None:
            self._tar.close()
            self._tar = None

    def add_file(self, source: Path, name: str) -> None:
        stat = source.stat()
        with open(source, "rb") as handle:
            self._add(name, stat.st_size, int(stat.st_mtime), handle)

    def add_stream(self, name: str, size: int, chunks: Iterable[bytes]) -> None:
        """Add `size` bytes from `chunks` without staging them on disk (a remote blob)."""
        reader = io.BufferedReader(_ChunkReader(chunks), buffer_size=COPY_BLOCK)
        self._add(name, size, int(time.time()), reader)  # type: ignore[arg-type]

    def _add(self, name: str, size: int, mtime: int, handle: IO[bytes]) -> None:
        assert self._tar is not None
        _check_member_name(name)
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = mtime
        info.mode = 0o644
        reader = _HashingReader(handle)
        # tarfile copies exactly `size` bytes and raises if the source ends early.
        self._tar.addfile(info, reader)  # type: ignore[arg-type]
        self.files[name] = {"size": info.size, "sha256": reader.digest.hexdigest()}

    def add_tree(self, root: Path, prefix: str, *, skip_hidden: bool = True) -> int:
        """Add every regular file under `root` as `prefix/<relative path>`, sorted."""
        if not root.is_dir():
            return 0
        count = 0
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if skip_hidden and any(part.startswith(".") for part in relative.parts):
                continue  # probes, in-flight temp files
            if path.is_file() and not path.is_symlink():
                self.add_file(path, f"{prefix}/{relative.as_posix()}")
                count += 1
        return count

    def finish(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Write the manifest (with every checksum) as the last member."""
        assert self._tar is not None
        manifest = {"format": FORMAT, "version": FORMAT_VERSION, **manifest,
                    "files": self.files}
        data = json.dumps(manifest, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        info.mtime = int(time.time())
        info.mode = 0o644
        self._tar.addfile(info, io.BytesIO(data))
        return manifest


def _check_member_name(name: str) -> None:
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise BackupError(f"unsafe path in archive: {name!r}")


def extract_verified(source: IO[bytes], destination: Path, *, label: str) -> dict[str, Any]:
    """Extract the archive read from `source` into `destination`, hashing as we go; raise
    BackupError unless every file matches the manifest exactly (nothing missing, nothing
    extra, every checksum equal). `label` names the archive in messages."""
    seen: dict[str, str] = {}
    manifest: dict[str, Any] | None = None
    try:
        with tarfile.open(fileobj=source, mode="r|") as tar:  # one pass, never seeks
            for member in _members(tar):
                if member.name == MANIFEST:
                    manifest = _read_manifest(tar, member)
                    continue
                _check_member_name(member.name)
                if not member.isfile():
                    raise BackupError(f"unexpected entry in archive: {member.name!r}")
                target = destination / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                extracted = tar.extractfile(member)
                assert extracted is not None
                digest = hashlib.sha256()
                with open(target, "wb") as out:
                    while block := extracted.read(COPY_BLOCK):
                        digest.update(block)
                        out.write(block)
                seen[member.name] = digest.hexdigest()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"{label} is not a readable backup archive ({exc}); it may be "
                          "truncated or corrupted") from None
    if manifest is None:
        raise BackupError(f"{label} has no manifest: it is incomplete or not a casework "
                          "backup")
    _compare(manifest, seen, label)
    return manifest


def _members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    while (member := tar.next()) is not None:
        yield member


def _read_manifest(tar: tarfile.TarFile, member: tarfile.TarInfo) -> dict[str, Any]:
    handle = tar.extractfile(member)
    try:
        manifest = json.loads(handle.read() if handle else b"")
    except ValueError:
        raise BackupError("the archive's manifest is not valid JSON: corrupted") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("not a casework backup archive (unknown manifest format)")
    if manifest.get("version", 0) > FORMAT_VERSION:
        raise BackupError(f"the archive is format {manifest['version']}; this casework "
                          f"reads up to {FORMAT_VERSION}: upgrade casework to restore it")
    return manifest


def _compare(manifest: dict[str, Any], seen: dict[str, str], label: str) -> None:
    listed: dict[str, dict[str, Any]] = manifest.get("files", {})
    problems = []
    for name, entry in sorted(listed.items()):
        if name not in seen:
            problems.append(f"missing {name}")
        elif seen[name] != entry.get("sha256"):
            problems.append(f"checksum mismatch for {name}")
    problems.extend(f"unlisted {name}" for name in sorted(set(seen) - set(listed)))
    if problems:
        shown = "; ".join(problems[:5]) + (f" (+{len(problems) - 5} more)"
                                           if len(problems) > 5 else "")
        raise BackupError(f"{label} is corrupted and was not restored: {shown}")
