"""Finding where a photo keeps its GPS position, as byte patches that blank it in place.

`strip_gps` exports must not re-encode a photo (a JPEG saved again loses quality and every
byte changes), so nothing is moved: the GPS entry is taken out of the TIFF directory that
points at it (its neighbours shift up by 12 bytes inside the same directory), the GPS
directory and the values it points at are zeroed, and XMP `exif:GPS...` values become
spaces. The file keeps its size and every other byte; the patches are applied while the
original streams into the archive (`apply_patches`), so the photo is never held whole.

Handled: JPEG (EXIF in APP1, XMP in APP1) and TIFF files (camera raw formats built on
TIFF included). Other formats return None: the caller decides (exports leave such a file
out when casework knows it holds a position).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

GPS_POINTER = 0x8825
# Bytes per value of each TIFF field type (1 BYTE ... 13 IFD, 16-18 BigTIFF's 8-byte ints).
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8,
               13: 4, 16: 8, 17: 8, 18: 8}
_MAX_ENTRIES = 4096  # a directory claiming more is damaged: give up rather than loop
_MAX_DIRECTORIES = 64
_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
_XMP_ATTRIBUTE = re.compile(rb'exif:GPS[A-Za-z]+\s*=\s*(["\'])(.*?)\1', re.DOTALL)
_XMP_ELEMENT = re.compile(rb"<exif:(GPS[A-Za-z]+)\b[^>]*>(.*?)</exif:\1\s*>", re.DOTALL)

Reader = Callable[[int, int], bytes]  # (offset, length) -> up to length bytes


class DamagedMetadata(Exception):
    """The metadata structure points outside itself: nothing can be patched with trust."""


@dataclass(frozen=True, slots=True)
class Patch:
    offset: int
    data: bytes


def gps_patches(read: Reader, size: int, media_type: str) -> list[Patch] | None:
    """The patches that blank the file's GPS position; [] when it has none; None when the
    format is not one this module can clean. Raises DamagedMetadata."""
    if media_type == "image/jpeg":
        return _jpeg(read, size)
    if media_type == "image/tiff":
        return _tiff(read, 0, size)
    return None


def apply_patches(chunks: Iterable[bytes], patches: list[Patch]) -> Iterator[bytes]:
    """The stream with each patch laid over its bytes (same length in, same length out)."""
    ordered = sorted(patches, key=lambda p: p.offset)
    position = 0
    for chunk in chunks:
        end = position + len(chunk)
        touching = [p for p in ordered if p.offset < end and p.offset + len(p.data) > position]
        if touching:
            buffer = bytearray(chunk)
            for patch in touching:
                start = max(patch.offset, position)
                stop = min(patch.offset + len(patch.data), end)
                buffer[start - position:stop - position] = \
                    patch.data[start - patch.offset:stop - patch.offset]
            chunk = bytes(buffer)
        yield chunk
        position = end


# --- JPEG --------------------------------------------------------------------------------

def _jpeg(read: Reader, size: int) -> list[Patch]:
    if read(0, 2) != b"\xff\xd8":
        return []
    patches: list[Patch] = []
    position = 2
    while position + 4 <= size:
        head = read(position, 4)
        if len(head) < 4 or head[0] != 0xFF:
            break  # not a marker: the header is damaged; patch what was found
        marker = head[1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            position += 2
            continue
        if marker in (0xDA, 0xD9):  # start of scan / end of image: no metadata after
            break
        length = int.from_bytes(head[2:4], "big")
        if length < 2:
            break
        if marker == 0xE1:
            body_at = position + 4
            body = read(body_at, length - 2)
            if body.startswith(b"Exif\x00\x00"):
                tiff_at = body_at + 6
                segment = body[6:]
                patches += _tiff(lambda o, n, s=segment: s[o:o + n], tiff_at, len(segment))
            elif body.startswith(_XMP_HEADER):
                patches += xmp_patches(body, body_at)
        position += 2 + length
    return patches


# --- TIFF structure (a TIFF file, or the EXIF block inside a JPEG) ----------------------

def _tiff(read: Reader, base: int, size: int) -> list[Patch]:
    """Patches (at `base` + offset) for the TIFF structure readable through `read`."""
    header = read(0, 8)
    if len(header) < 8 or header[:2] not in (b"II", b"MM"):
        return []
    order = "little" if header[:2] == b"II" else "big"

    def number(data: bytes) -> int:
        return int.from_bytes(data, order)  # type: ignore[arg-type]

    if number(header[2:4]) != 42:
        return []  # BigTIFF (43) and others: not read
    patches: list[Patch] = []
    seen: set[int] = set()
    directory = number(header[4:8])
    while directory and directory not in seen and len(seen) < _MAX_DIRECTORIES:
        seen.add(directory)
        count = _directory_size(read, directory, size, number)
        entries = read(directory + 2, 12 * count)
        following = read(directory + 2 + 12 * count, 4)
        kept = [entries[i:i + 12] for i in range(0, len(entries), 12)
                if number(entries[i:i + 2]) != GPS_POINTER]
        for i in range(0, len(entries), 12):
            entry = entries[i:i + 12]
            if number(entry[:2]) == GPS_POINTER:
                patches += _blank_gps_directory(read, number(entry[8:12]), size, number)
        if len(kept) < count:
            # Same directory, same length: one entry fewer, the next-directory offset
            # right after the entries, and zeros where the last entry was.
            rewritten = (len(kept).to_bytes(2, order)  # type: ignore[arg-type]
                         + b"".join(kept) + following + b"\x00" * 12 * (count - len(kept)))
            patches.append(Patch(directory, rewritten))
        directory = number(following) if len(following) == 4 else 0
    # Offsets inside TIFF are from its header; the file may hold it further in (JPEG).
    return [Patch(p.offset + base, p.data) for p in patches]


def _directory_size(read: Reader, at: int, size: int, number: Callable[[bytes], int]) -> int:
    raw = read(at, 2)
    if len(raw) < 2:
        raise DamagedMetadata("a TIFF directory lies past the end of its block")
    count = number(raw)
    if count > _MAX_ENTRIES or at + 2 + 12 * count + 4 > size:
        raise DamagedMetadata("a TIFF directory is larger than its block")
    return count


def _blank_gps_directory(read: Reader, at: int, size: int,
                         number: Callable[[bytes], int]) -> list[Patch]:
    """Zeros over the GPS directory and every value it keeps outside its entries."""
    count = _directory_size(read, at, size, number)
    entries = read(at + 2, 12 * count)
    patches = [Patch(at, b"\x00" * (2 + 12 * count + 4))]
    for i in range(0, len(entries), 12):
        entry = entries[i:i + 12]
        length = _TYPE_SIZES.get(number(entry[2:4]), 1) * number(entry[4:8])
        if length > 4:  # the value lives elsewhere; its offset is in the entry
            where = number(entry[8:12])
            if where + length > size:
                raise DamagedMetadata("a GPS value lies past the end of its block")
            patches.append(Patch(where, b"\x00" * length))
    return patches


# --- XMP ---------------------------------------------------------------------------------

def xmp_patches(packet: bytes, base: int) -> list[Patch]:
    """Spaces over the values of `exif:GPS...` properties, as attributes or elements."""
    patches: list[Patch] = []
    for match in _XMP_ATTRIBUTE.finditer(packet):
        start, end = match.span(2)
        if end > start:
            patches.append(Patch(base + start, b" " * (end - start)))
    for match in _XMP_ELEMENT.finditer(packet):
        start, end = match.span(2)
        if end > start:
            patches.append(Patch(base + start, b" " * (end - start)))
    return patches
