"""Byte-order marks: the Unicode encoding a text file declares in its first bytes.

UTF-16 and UTF-32 text is full of NUL bytes, and its little-endian marks (FF FE, FF FE 00 00)
look like an MP3 frame header, so without this such a file was refused or taken for audio.
"""

from __future__ import annotations

# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_MARKS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def bom_encoding(head: bytes) -> str | None:
    """The codec named by the file's byte-order mark (Python's "utf-16"/"utf-32" read the
    mark to tell the byte order), or None without one."""
    for mark, encoding in _MARKS:
        if head.startswith(mark):
            return encoding
    return None


def decode_sample(head: bytes, encoding: str) -> str | None:
    """The first bytes of a file decoded, tolerating a character cut at the end of the
    sample; None when they are not text in that encoding."""
    try:
        return head.decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:
            return None
        try:
            return head[:exc.start].decode(encoding)
        except UnicodeDecodeError:
            return None
