"""Which documents a production sends in their original form, and what the file is called.

A native goes under NATIVES/ named by its Bates number and its original extension, byte
for byte the stored original; a one-page slip sheet takes its place in the images. What
must never go out natively, whatever the policy:

- a privileged document (it is withheld: its slip sheet says so);
- a document with redactions (only its verified redacted copy may leave, imaged);
- a container: an e-mail with attachments, an archive, a mailbox. Its bytes hold its
  children, which may be privileged, redacted or not selected at all.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from casework.productions.models import NativePolicy

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPREADSHEET_TYPES = frozenset({
    XLSX, "application/vnd.ms-excel", "application/vnd.oasis.opendocument.spreadsheet",
    "text/csv", "text/tab-separated-values"})
# A CSV is sniffed as plain text (ingest/sniff.py): only its name tells it apart.
TEXT_SPREADSHEET_SUFFIXES = frozenset({".csv", ".tsv"})
# The extension a native gets when its file name has none that is safe to use.
EXTENSIONS = {
    XLSX: ".xlsx", "application/vnd.ms-excel": ".xls",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods", "text/csv": ".csv",
    "text/tab-separated-values": ".tsv", "text/plain": ".txt", "text/markdown": ".md",
    "text/html": ".html", "application/pdf": ".pdf", "message/rfc822": ".eml",
    "audio/mpeg": ".mp3", "audio/wav": ".wav", "audio/mp4": ".m4a", "audio/ogg": ".ogg",
    "video/mp4": ".mp4", "video/quicktime": ".mov", "video/x-matroska": ".mkv",
    "video/webm": ".webm", "video/x-msvideo": ".avi", "image/jpeg": ".jpg",
    "image/png": ".png", "image/gif": ".gif", "image/tiff": ".tif", "image/webp": ".webp",
    "image/heic": ".heic",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.ms-outlook": ".msg"}
# Part of a member name and of the DAT's NATIVEPATH: letters and digits only.
_SAFE_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,10}$")


def _suffix(filename: str) -> str:
    """The extension of the file name's last part (an archive member's name holds its
    path: `case.zip!/dir/a.xlsx`)."""
    last = re.split(r"[/\\!]", filename)[-1]
    return PurePosixPath(last).suffix


def is_spreadsheet(media_type: str, filename: str) -> bool:
    return media_type in SPREADSHEET_TYPES or (
        media_type == "text/plain" and _suffix(filename).lower() in TEXT_SPREADSHEET_SUFFIXES)


def is_media(media_type: str) -> bool:
    return media_type.startswith(("audio/", "video/"))


def goes_native(*, policy: str, media_type: str, filename: str, privileged: bool,
                has_redactions: bool, has_children: bool) -> bool:
    """Whether the policy sends this document natively (never one the module's docstring
    rules out)."""
    if privileged or has_redactions or has_children:
        return False
    if policy == NativePolicy.all:
        return True
    if policy == NativePolicy.spreadsheets_and_media:
        return is_spreadsheet(media_type, filename) or is_media(media_type)
    return False


def native_name(label: str, *, filename: str, media_type: str) -> str:
    """`<Bates number><original extension>`; the extension from the media type when the
    name has none safe to put in a path (nothing at all when neither tells)."""
    suffix = _suffix(filename)
    if not _SAFE_SUFFIX.match(suffix):
        suffix = EXTENSIONS.get(media_type, "")
    return label + suffix
