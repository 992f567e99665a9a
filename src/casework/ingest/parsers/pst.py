"""Outlook data files (.pst, .ost) read with libpff (libpff-python): every message in every
folder becomes a document of its own, a child of the file, written as an RFC 822 message
(its original transport headers when Outlook kept them, its properties otherwise) with its
attachments, so the e-mail parser reads it like any .eml (docs/mail.md)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import HeaderParser
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

from casework.ingest.parsers.base import (
    ExtractedPage,
    MemberSink,
    ParsedDocument,
    ParseError,
    WriteMembers,
)

MAX_FOLDER_DEPTH = 64
MAX_ATTACHMENT_BYTES = 256 * 1024 * 1024
_UNSAFE = re.compile(r"[^\w .,@()+-]+")
# MAPI property tags ([MS-OXPROPS]) read when the transport headers lack a field.
PR_SENDER_EMAIL, PR_SENDER_SMTP_ADDRESS = 0x0C1F, 0x5D01
PR_INTERNET_MESSAGE_ID, PR_IN_REPLY_TO_ID, PR_INTERNET_REFERENCES = 0x1035, 0x1042, 0x1039
PR_RECIPIENT_TYPE, PR_DISPLAY_NAME, PR_EMAIL_ADDRESS, PR_SMTP_ADDRESS = (
    0x0C15, 0x3001, 0x3003, 0x39FE)
_KEPT_HEADERS = ("From", "To", "Cc", "Date", "Subject", "Message-ID", "In-Reply-To",
                 "References")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").rstrip("\x00")
    return str(value)


def _property(item: Any, entry_type: int) -> str:
    """A string property of a libpff item's first record set ("" when it has none)."""
    try:
        entry = item.get_record_set(0).get_entry_by_type(entry_type)
        return (entry.data_as_string or "").strip() if entry is not None else ""
    except (OSError, IndexError):
        return ""


def _mailbox(name: str, address: str) -> str:
    return formataddr((name, address)) if address else name


def _recipients(message: Any) -> dict[str, str]:
    """"To" and "Cc" from the recipient table, for a message with no transport headers."""
    found: dict[str, list[str]] = {"To": [], "Cc": []}
    table = message.recipients
    for index in range(table.number_of_record_sets if table is not None else 0):
        row = table.get_record_set(index)
        kind_entry = row.get_entry_by_type(PR_RECIPIENT_TYPE)
        kind = {1: "To", 2: "Cc"}.get((kind_entry.data_as_integer & 0x0F) if kind_entry else 1)
        smtp = row.get_entry_by_type(PR_SMTP_ADDRESS) or row.get_entry_by_type(PR_EMAIL_ADDRESS)
        name_entry = row.get_entry_by_type(PR_DISPLAY_NAME)
        address = (smtp.data_as_string or "") if smtp else ""
        if kind and (address or name_entry):
            found[kind].append(_mailbox(name_entry.data_as_string if name_entry else "",
                                        address if "@" in address else ""))
    return {kind: ", ".join(values) for kind, values in found.items() if values}


def _property_headers(message: Any) -> dict[str, str]:
    """Headers from the message's properties. Outlook keeps no transport headers for what
    the mailbox's owner sent (Sent Items), but the properties still hold the ids that
    thread it and the addresses that say who wrote to whom."""
    sender = _property(message, PR_SENDER_SMTP_ADDRESS) or _property(message, PR_SENDER_EMAIL)
    headers = {"From": _mailbox(_text(message.sender_name), sender if "@" in sender else ""),
               "Subject": _text(message.subject),
               "Message-ID": _property(message, PR_INTERNET_MESSAGE_ID),
               "In-Reply-To": _property(message, PR_IN_REPLY_TO_ID),
               "References": _property(message, PR_INTERNET_REFERENCES)}
    with contextlib.suppress(OSError):  # an unreadable recipient table: no To, no Cc
        headers.update(_recipients(message))
    return headers


def _as_rfc822(message: Any) -> bytes:
    """One PST message as .eml bytes (libpff gives properties, not MIME)."""
    out = EmailMessage()
    headers = HeaderParser().parsestr(_text(message.transport_headers))
    fallback = _property_headers(message)
    for name in _KEPT_HEADERS:
        value = headers.get(name) or fallback.get(name)
        if value:
            out[name] = " ".join(str(value).split())
    when = message.client_submit_time or message.delivery_time
    if "Date" not in out and isinstance(when, datetime):
        out["Date"] = format_datetime(when.replace(tzinfo=UTC) if when.tzinfo is None else when)
    out.set_content(_text(message.plain_text_body) or _text(message.html_body))
    for index in range(message.number_of_attachments):
        try:
            attachment = message.get_attachment(index)
            size = attachment.size or 0
            if size > MAX_ATTACHMENT_BYTES:
                continue
            data = attachment.read_buffer(size) if size else b""
            name = _text(attachment.long_filename) or f"attachment-{index + 1}"
        except OSError:
            continue  # an embedded item libpff cannot read as bytes (a nested message)
        if data:
            out.add_attachment(data, maintype="application", subtype="octet-stream",
                               filename=name)
    return out.as_bytes()


def _folder_messages(folder: Any, path: str = "", depth: int = 0
                     ) -> Iterator[tuple[str, Any]]:
    """(folder path, message) for every message, folder by folder ("Top/Inbox/...")."""
    if depth > MAX_FOLDER_DEPTH:
        raise ParseError(f"the data file's folders nest deeper than {MAX_FOLDER_DEPTH}")
    for index in range(folder.number_of_sub_messages):
        yield path, folder.get_sub_message(index)
    for index in range(folder.number_of_sub_folders):
        sub = folder.get_sub_folder(index)
        name = _UNSAFE.sub(" ", _text(sub.name)).strip()[:80] or f"folder-{index + 1}"
        yield from _folder_messages(sub, f"{path}/{name}" if path else name, depth + 1)


def _open(path: Path) -> Any:
    import pypff  # native libpff: loaded only for .pst files

    store = pypff.file()
    try:
        store.open(str(path))
    except OSError as exc:
        raise ParseError(f"not a readable Outlook data file (.pst): {exc}") from None
    return store


def _members(path: Path) -> WriteMembers:
    def write(sink: MemberSink) -> None:
        store = _open(path)
        try:
            for number, (folder, message) in enumerate(
                    _folder_messages(store.root_folder), start=1):
                try:
                    data = _as_rfc822(message)
                except (OSError, ValueError) as exc:
                    sink.skip(f"{folder}/{number:05d}.eml", code="unreadable",
                              reason=f"libpff could not read the message: {exc}")
                    continue
                sink.add(f"{folder}/{number:05d}.eml" if folder else f"{number:05d}.eml",
                         [data], size=len(data))
        finally:
            store.close()

    return write


class PstParser:
    media_types = ("application/vnd.ms-outlook-pst",)

    def parse(self, path: Path) -> ParsedDocument:
        _open(path).close()  # fail now, before the members, if it is no data file
        text = ("An Outlook data file: each message is a document of its own, listed as "
                "this file's contents by folder.")

        def pages() -> Iterator[ExtractedPage]:
            yield ExtractedPage(1, text)

        return ParsedDocument(pages=pages(), page_count=1, metadata={"mailbox": "pst"},
                              members=_members(path), members_via="mailbox")
