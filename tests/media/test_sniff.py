"""Media types come from the bytes (magic numbers), never from the client's name."""

import pytest

from casework.ingest.sniff import sniff_media_type
from tests.fixtures.media import email_with_attachment, photo, png_bomb


@pytest.mark.parametrize(("data", "expected"), [
    (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image/jpeg"),
    (png_bomb(10, 10), "image/png"),
    (b"GIF89a" + b"\x00" * 32, "image/gif"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"RIFF\x00\x00\x00\x00AVI LIST", "video/x-msvideo"),
    (b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wav"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heic"),
    (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", "video/mp4"),
    (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ", "video/quicktime"),
    (b"\x00\x00\x00\x1cftypM4A \x00\x00\x02\x00M4A isom", "audio/mp4"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm"),
    (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "video/x-matroska"),
    (b"ID3\x04\x00\x00\x00\x00\x00\x00", "audio/mpeg"),
    (b"\xff\xfb\x90\x64" + b"\x00" * 64, "audio/mpeg"),
    (b"OggS\x00\x02" + b"\x00" * 32, "audio/ogg"),
])
def test_magic_numbers(tmp_path, data, expected):
    path = tmp_path / "upload"
    path.write_bytes(data)
    assert sniff_media_type(path, "whatever.txt") == expected


def test_real_files_and_text_that_merely_looks_like_headers(tmp_path):
    cases = {
        "mail": (email_with_attachment(subject="Hi", body="Body", attachments=[]),
                 "message/rfc822"),
        "tiff": (photo(fmt="TIFF"), "image/tiff"),
        "memo": (b"Subject: budget\nThe budget was approved.\n", "text/plain"),
        "notes": (b"Note: call back\nFrom: memory\n\nNothing else.", "text/plain"),
    }
    for name, (data, expected) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert sniff_media_type(path, name + ".txt") == expected, name
