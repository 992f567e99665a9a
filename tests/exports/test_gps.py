"""strip_gps's patches: the position goes (EXIF and XMP), every other byte stays, the file
keeps its size and still opens; damaged metadata is refused rather than half-patched."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from casework.exports.gps import DamagedMetadata, apply_patches, gps_patches
from tests.fixtures.media import photo

XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
       b'22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
       b'exif:GPSLatitude="48,51.5N" exif:DateTimeOriginal="2024-05-17"><exif:GPSLongitude>'
       b'2,17.7E</exif:GPSLongitude></rdf:Description></rdf:RDF></x:xmpmeta>')


def _with_xmp(jpeg: bytes) -> bytes:
    """The JPEG with an XMP APP1 segment after its EXIF one, as cameras and editors write."""
    body = b"http://ns.adobe.com/xap/1.0/\x00" + XMP
    segment = b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body
    return jpeg[:2] + segment + jpeg[2:]


def _clean(data: bytes, media_type: str, chunk: int = 7) -> bytes:
    patches = gps_patches(lambda o, n: data[o:o + n], len(data), media_type)
    assert patches is not None
    pieces = [data[i:i + chunk] for i in range(0, len(data), chunk)]
    return b"".join(apply_patches(pieces, patches))


def test_a_jpeg_loses_its_exif_and_xmp_position_and_nothing_else():
    original = _with_xmp(photo(gps=(48.8584, 2.2945)))
    cleaned = _clean(original, "image/jpeg")
    assert len(cleaned) == len(original)
    image = Image.open(io.BytesIO(cleaned))
    assert not image.getexif().get_ifd(0x8825)
    assert image.getexif()[0x0110] == "EOS R5"
    assert image.getexif().get_ifd(0x8769)[0x9003] == "2024:05:17 14:30:00"
    assert b"48,51.5N" not in cleaned and b"2,17.7E" not in cleaned
    assert b'exif:DateTimeOriginal="2024-05-17"' in cleaned  # other XMP stays
    assert image.tobytes() == Image.open(io.BytesIO(original)).tobytes()
    changed = sum(a != b for a, b in zip(cleaned, original, strict=True))
    assert 0 < changed < 200  # a few directory entries and values, not the picture


def test_a_tiff_loses_its_position_and_still_opens():
    original = photo(fmt="TIFF", gps=(-33.86, 151.21), width=64, height=48)
    cleaned = _clean(original, "image/tiff", chunk=1000)
    image = Image.open(io.BytesIO(cleaned))
    assert not image.getexif().get_ifd(0x8825)
    assert image.tobytes() == Image.open(io.BytesIO(original)).tobytes()


def test_nothing_to_remove_means_no_patch_and_other_formats_are_not_handled():
    plain = photo()
    assert gps_patches(lambda o, n: plain[o:o + n], len(plain), "image/jpeg") == []
    png = photo(fmt="PNG", gps=(1.0, 1.0), width=32, height=32)
    assert gps_patches(lambda o, n: png[o:o + n], len(png), "image/png") is None


def test_a_directory_pointing_outside_its_block_is_refused():
    original = bytearray(photo(gps=(10.0, 10.0)))
    tiff = original.index(b"Exif\x00\x00") + 6
    order = "little" if original[tiff:tiff + 2] == b"II" else "big"
    first = int.from_bytes(original[tiff + 4:tiff + 8], order)
    original[tiff + first:tiff + first + 2] = (4000).to_bytes(2, order)  # 4000 entries
    data = bytes(original)
    with pytest.raises(DamagedMetadata):
        gps_patches(lambda o, n: data[o:o + n], len(data), "image/jpeg")
