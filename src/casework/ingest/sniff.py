"""Detect the real media type from the bytes; the client's name and type are not trusted.

The filename's extension is used only where bytes cannot tell (Markdown vs plain text).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from casework.ingest.archives import check_zip_archive

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_HEAD_BYTES = 8192
_MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body")


_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"


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
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names:
                check_zip_archive(archive, name=filename)  # bombs are refused before parsing
    except (zipfile.BadZipFile, OSError):
        return None
    if "word/document.xml" in names and "[Content_Types].xml" in names:
        return DOCX
    return None


def sniff_media_type(path: Path, filename: str) -> str | None:
    """Return the media type casework would parse this file as, or None if unsupported."""
    with open(path, "rb") as fh:
        head = fh.read(_HEAD_BYTES)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_media_type(path, filename)
    if not head or not _looks_like_text(head):
        return None
    lowered = head.lstrip().lower()
    if any(marker in lowered[:1024] for marker in _HTML_MARKERS):
        return "text/html"
    if Path(filename).suffix.lower() in _MARKDOWN_SUFFIXES:
        return "text/markdown"
    return "text/plain"
