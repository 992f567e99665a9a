"""Detect the real media type from the bytes; the client's name and type are not trusted.

Binary formats are told by their magic numbers (and, for ZIP, ISO-BMFF, RIFF and EBML
containers, by what is inside). The filename's extension is used only where bytes cannot
tell (Markdown vs plain text).
"""

from __future__ import annotations

import bz2
import lzma
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

from casework.ingest.archives import check_zip_archive, check_zip_directory
from casework.ingest.byte_order import bom_encoding, decode_sample

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
EML = "message/rfc822"
MBOX = "application/mbox"
MSG = "application/vnd.ms-outlook"
PST = "application/vnd.ms-outlook-pst"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file: .msg, and old .doc/.xls
_MBOX_SUFFIXES = {".mbox", ".mbx", ".mbs"}
ZIP = "application/zip"
TAR = "application/x-tar"
SEVEN_ZIP = "application/x-7z-compressed"
# A compressed file is accepted when what it holds is a TAR: its first block, decompressed
# (at most _TAR_HEAD bytes, so a bomb costs nothing here), carries the ustar magic.
_COMPRESSED_TAR = ((b"\x1f\x8b", "application/gzip"), (b"BZh", "application/x-bzip2"),
                   (b"\xfd7zXZ\x00", "application/x-xz"))
_TAR_HEAD = 512
_TAR_SEARCH_BYTES = 2 * 1024 * 1024  # a bzip2 block is at most ~900 KB compressed
_SEVEN_ZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"
_HEAD_BYTES = 8192
_MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body")

# Leading bytes → media type, checked in order.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
    (b"!BDN", PST),  # Outlook data file (.pst, .ost)
)
_RIFF = {b"WEBP": "image/webp", b"AVI ": "video/x-msvideo", b"WAVE": "audio/wav"}
# ISO base media file format (MP4, MOV, M4A, HEIC): the `ftyp` box's major brand.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A "}
_QUICKTIME_BRANDS = {b"qt  "}
_EBML = b"\x1a\x45\xdf\xa3"
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"
_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:[ \t]")
_MAIL_HEADERS = {b"from", b"to", b"subject", b"date", b"message-id", b"mime-version",
                 b"received", b"return-path", b"delivered-to", b"cc", b"reply-to"}


def _looks_like_text(head: bytes) -> bool:
    """UTF-8 text, or legacy 8-bit text (Latin-1 and kin) with next to no control bytes."""
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:
            return True  # a multi-byte character cut at the end of the sample
    controls = sum(head.count(bytes([c])) for c in _CONTROL)
    return controls <= len(head) // 200


def _zip_media_type(path: Path, filename: str) -> str | None:
    check_zip_directory(path, name=filename)  # before zipfile builds its member list
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names:
                check_zip_archive(archive, name=filename)  # bombs are refused before parsing
    except (zipfile.BadZipFile, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return ZIP  # an archive: its members become documents (parsers/archive.py)
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    if "ppt/presentation.xml" in names:
        return PPTX
    return ZIP


def _is_tar(block: bytes) -> bool:
    return len(block) >= 262 and block[257:262] == b"ustar"


def _decompressed_head(path: Path, media_type: str) -> bytes:
    """The first _TAR_HEAD bytes of a compressed file: fed in small reads (bzip2 yields
    nothing before a whole block), never more than _TAR_SEARCH_BYTES of input."""
    if media_type == "application/gzip":
        decompressor: Any = zlib.decompressobj(wbits=47)
    elif media_type == "application/x-bzip2":
        decompressor = bz2.BZ2Decompressor()
    else:
        decompressor = lzma.LZMADecompressor()
    out = b""
    try:
        with open(path, "rb") as fh:
            for _ in range(_TAR_SEARCH_BYTES // _HEAD_BYTES):
                data = fh.read(_HEAD_BYTES)
                if not data:
                    break
                out += decompressor.decompress(data, _TAR_HEAD - len(out))
                if len(out) >= _TAR_HEAD:
                    break
    except (zlib.error, OSError, lzma.LZMAError, EOFError, ValueError):
        return b""
    return out


def _archive_media_type(path: Path, head: bytes) -> str | None:
    """TAR (plain or compressed) and 7z; ZIP is told by _zip_media_type."""
    if _is_tar(head):
        return TAR
    if head.startswith(_SEVEN_ZIP_MAGIC):
        return SEVEN_ZIP
    for magic, media_type in _COMPRESSED_TAR:
        if head.startswith(magic) and _is_tar(_decompressed_head(path, media_type)):
            return media_type
    return None


def _container_media_type(head: bytes) -> str | None:
    """RIFF, ISO-BMFF and EBML (Matroska/WebM) containers."""
    if head[:4] == b"RIFF" and len(head) >= 12:
        return _RIFF.get(head[8:12])
    if head[4:8] == b"ftyp" and len(head) >= 12:
        brand = head[8:12]
        compatible = {head[i:i + 4] for i in range(16, min(len(head), 64), 4)}
        if brand in _HEIF_BRANDS or (brand not in _QUICKTIME_BRANDS and b"heic" in compatible):
            return "image/heic"
        if brand in _AUDIO_BRANDS:
            return "audio/mp4"
        if brand in _QUICKTIME_BRANDS:
            return "video/quicktime"
        return "video/mp4"
    if head.startswith(_EBML):
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    return None


def _is_mp3_frame(head: bytes) -> bool:
    # MPEG audio frame sync: 11 set bits, a valid layer and a bitrate index that is not "bad".
    return (len(head) >= 4 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
            and head[1] & 0x06 != 0 and head[2] & 0xF0 != 0xF0)


def _looks_like_email(head: bytes) -> bool:
    """An RFC 5322 header block: only header (or folded) lines, with mail headers in it."""
    block = head.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    lines = block.split(b"\n")
    if len(lines) < 2:
        return False
    seen: set[bytes] = set()
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            continue
        if not _HEADER_LINE.match(line):
            return False
        seen.add(line.split(b":", 1)[0].lower())
    return b"from" in seen and len(seen & _MAIL_HEADERS) >= 3


def _wide_text_head(head: bytes) -> bytes | None:
    """A UTF-16 or UTF-32 file's first bytes as UTF-8, when its byte-order mark is followed
    by text; None otherwise (an MP3 frame also starts FF FE, and is not text)."""
    encoding = bom_encoding(head)
    if encoding not in ("utf-16", "utf-32"):
        return None
    text = decode_sample(head, encoding)
    if text is None:
        return None
    encoded = text.encode("utf-8")
    return encoded if _looks_like_text(encoded) else None


def _is_mailbox(head: bytes, filename: str) -> bool:
    """An mbox: a `From ` separator line, then a message's headers (or, named .mbox, any
    `From ` start: the mailbox parser then says what is wrong with it)."""
    if not head.startswith(b"From "):
        return False
    if Path(filename).suffix.lower() in _MBOX_SUFFIXES:
        return True
    return _looks_like_email(head.split(b"\n", 1)[1] if b"\n" in head else b"")


def _text_media_type(head: bytes, filename: str, *, mail: bool = True) -> str:
    if mail and _is_mailbox(head, filename):
        return MBOX
    if mail and _looks_like_email(head):
        return EML
    lowered = head.lstrip().lower()
    if any(marker in lowered[:1024] for marker in _HTML_MARKERS):
        return "text/html"
    if Path(filename).suffix.lower() in _MARKDOWN_SUFFIXES:
        return "text/markdown"
    return "text/plain"


def sniff_media_type(path: Path, filename: str) -> str | None:
    """Return the media type casework would parse this file as, or None if unsupported."""
    with open(path, "rb") as fh:
        head = fh.read(_HEAD_BYTES)
    wide_text = _wide_text_head(head)
    if wide_text is not None:
        # Text in UTF-16/32 (the parsers decode it by its mark); the e-mail parser reads
        # raw bytes, so such a file is never taken for a message.
        return _text_media_type(wide_text, filename, mail=False)
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    if head.startswith(_OLE):
        # Outlook's .msg is told from other compound files (old Word, Excel) by its name;
        # the parser says so clearly when a file so named is not a message.
        return MSG if Path(filename).suffix.lower() == ".msg" else None
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_media_type(path, filename)
    archive = _archive_media_type(path, head)
    if archive is not None:
        return archive
    container = _container_media_type(head)
    if container is not None:
        return container
    if _is_mp3_frame(head):
        return "audio/mpeg"
    if not head or not _looks_like_text(head):
        return None
    return _text_media_type(head, filename)
