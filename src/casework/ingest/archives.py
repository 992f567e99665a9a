"""Zip-bomb guard for ZIP-based formats (DOCX, XLSX, PPTX), judged before anything is
decompressed, in two steps:

1. `check_zip_directory` reads the end-of-central-directory record (and its ZIP64 form)
   itself and walks the central directory's records without building anything, so an
   archive listing 1.5 million members is refused after reading MAX_MEMBERS + 1 records
   (zipfile.ZipFile builds an object per member first: +826 MB of RSS in the request).
2. `check_zip_archive` judges the declared sizes. Python's zipfile never inflates a member
   past its declared size, so checking them bounds what a parser can be made to read.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

from casework.core.errors import InvalidInput

MiB = 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 256 * MiB
MAX_MEMBERS = 10_000
# Real DOCX XML compresses 5-20x; past 100x on a sizeable total it is built to explode.
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 16 * MiB

_EOCD = struct.Struct("<IHHHHIIH")  # end of central directory
_ZIP64_LOCATOR = struct.Struct("<IIQI")
_ZIP64_EOCD = struct.Struct("<IQHHIIQQQQ")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")  # one central-directory record, fixed part
_EOCD_SEARCH = _EOCD.size + 65535  # the record, then a comment of at most 64 KiB
_READ_BYTES = 256 * 1024


class UnsafeArchive(InvalidInput):
    code = "unsafe_archive"


def _too_many(name: str, count: str) -> UnsafeArchive:
    return UnsafeArchive(f"{name!r} holds {count} files (limit {MAX_MEMBERS:,}): refused as "
                         "a zip bomb", details={"filename": name})


def _directory_location(fh: object, size: int) -> tuple[int, int, int] | None:
    """(declared members, directory size, directory offset), or None if not a ZIP."""
    start = max(size - _EOCD_SEARCH, 0)
    fh.seek(start)  # type: ignore[attr-defined]
    tail = fh.read(size - start)  # type: ignore[attr-defined]
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        return None
    _, _, _, _, members, cd_size, cd_offset, _ = _EOCD.unpack_from(tail, at)
    locator_at = at - _ZIP64_LOCATOR.size
    if locator_at >= 0 and tail[locator_at:locator_at + 4] == b"PK\x06\x07":
        _, _, zip64_offset, _ = _ZIP64_LOCATOR.unpack_from(tail, locator_at)
        fh.seek(zip64_offset)  # type: ignore[attr-defined]
        record = fh.read(_ZIP64_EOCD.size)  # type: ignore[attr-defined]
        if len(record) == _ZIP64_EOCD.size and record[:4] == b"PK\x06\x06":
            fields = _ZIP64_EOCD.unpack(record)
            members, cd_size, cd_offset = fields[7], fields[8], fields[9]
    return members, cd_size, cd_offset


def check_zip_directory(path: Path, *, name: str) -> None:
    """Refuse an archive with more than MAX_MEMBERS members, before zipfile lists them.

    Both the declared count and the records really there are checked: zipfile reads the
    whole directory whatever the count says. Cost: one read of the tail, and at most
    MAX_MEMBERS + 1 records (~0.5 MB) walked. A file that is not a ZIP passes untouched.
    """
    with open(path, "rb") as fh:
        size = fh.seek(0, 2)
        location = _directory_location(fh, size)
        if location is None:
            return
        members, cd_size, cd_offset = location
        if members > MAX_MEMBERS:
            raise _too_many(name, f"{members:,}")
        fh.seek(min(cd_offset, size))
        buffer, at = b"", 0  # records are read from buffer[at:]
        seen = consumed = 0
        while consumed < cd_size:
            if len(buffer) - at < _CENTRAL.size:
                buffer, at = buffer[at:] + fh.read(_READ_BYTES), 0
                if len(buffer) < _CENTRAL.size:
                    return  # a truncated directory: zipfile will say it is broken
            if buffer[at:at + 4] != b"PK\x01\x02":
                return
            fields = _CENTRAL.unpack_from(buffer, at)
            length = _CENTRAL.size + fields[10] + fields[11] + fields[12]
            seen += 1
            if seen > MAX_MEMBERS:
                raise _too_many(name, f"more than {MAX_MEMBERS:,}")
            consumed += length
            while len(buffer) - at < length:
                more = fh.read(_READ_BYTES)
                if not more:
                    return
                buffer += more
            at += length


def check_zip_archive(archive: zipfile.ZipFile, *, name: str) -> None:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise _too_many(name, f"{len(members):,}")
    total = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    if total > MAX_UNCOMPRESSED_BYTES:
        raise UnsafeArchive(
            f"{name!r} would expand to {total // MiB} MiB (limit {MAX_UNCOMPRESSED_BYTES // MiB}"
            " MiB): refused as a zip bomb", details={"filename": name, "uncompressed": total})
    if total > RATIO_FLOOR_BYTES and total / packed > MAX_RATIO:
        raise UnsafeArchive(
            f"{name!r} expands {total // packed}x (limit {MAX_RATIO}x): refused as a zip bomb",
            details={"filename": name, "ratio": total // packed})


def check_office_file(path: Path, *, name: str) -> None:
    """Both checks, for parsers of ZIP-based formats (raises UnsafeArchive or BadZipFile)."""
    check_zip_directory(path, name=name)
    with zipfile.ZipFile(path) as archive:
        check_zip_archive(archive, name=name)
