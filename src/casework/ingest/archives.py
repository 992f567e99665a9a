"""Zip-bomb guard for ZIP-based formats (DOCX): judged from the central directory, before
anything is decompressed. Python's zipfile never inflates a member past its declared size,
so checking the declared sizes bounds what a parser can be made to read."""

from __future__ import annotations

import zipfile

from casework.core.errors import InvalidInput

MiB = 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 256 * MiB
MAX_MEMBERS = 10_000
# Real DOCX XML compresses 5-20x; past 100x on a sizeable total it is built to explode.
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 16 * MiB


class UnsafeArchive(InvalidInput):
    code = "unsafe_archive"


def check_zip_archive(archive: zipfile.ZipFile, *, name: str) -> None:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise UnsafeArchive(f"{name!r} holds {len(members)} files: refused as a zip bomb",
                            details={"filename": name})
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
