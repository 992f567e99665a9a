"""Mailboxes (mbox): every message becomes a document of its own, a child of the mailbox.

Read with the standard library's `mailbox.mbox`, which indexes the file by offsets in one
pass and hands out one message at a time: a mailbox of gigabytes is never in memory, only
its largest message. A mailbox is a container (ingest/members.py): each message is written
to the sandbox's folder as a member, under the container limits, and is then read by the
e-mail parser like an uploaded .eml (threads, duplicates: docs/mail.md).
"""

from __future__ import annotations

import mailbox
import re
from collections.abc import Iterator
from pathlib import Path

from casework.ingest.parsers.base import (
    ExtractedPage,
    MemberSink,
    ParsedDocument,
    ParseError,
    WriteMembers,
)

MAX_MESSAGE_BYTES = 256 * 1024 * 1024
_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:[ \t]?")
_UNSAFE = re.compile(r"[^\w .,@()+-]+")


def _starts_with_headers(data: bytes) -> bool:
    return bool(_HEADER_LINE.match(data.lstrip(b"\r\n")[:1000]))


def _member_name(number: int, data: bytes) -> str:
    subject = ""
    for line in data[:16384].splitlines():
        if not line.strip():
            break
        if line.lower().startswith(b"subject:"):
            subject = line[8:].decode("utf-8", "replace").strip()
            break
    subject = _UNSAFE.sub(" ", subject).strip()[:80]
    return f"{number:05d} {subject}.eml" if subject else f"{number:05d}.eml"


def mailbox_messages(path: Path) -> Iterator[bytes]:
    """Each message's bytes, in file order. A piece between `From ` lines with no header
    block is a body line that began with "From " unescaped: it is glued back onto the
    message before it. A mailbox whose first piece has no headers is not a mailbox."""
    try:
        box = mailbox.mbox(path, create=False)
        keys = box.iterkeys()
        pending: bytes | None = None
        for index, key in enumerate(keys):
            data = box.get_bytes(key)
            if not _starts_with_headers(data):
                if pending is None:
                    raise ParseError(f"message {index + 1} of the mailbox has no mail headers: "
                                     "not a readable mbox mailbox")
                pending += b"\nFrom " + data
            else:
                if pending is not None:
                    yield pending
                pending = data
            if len(pending) > MAX_MESSAGE_BYTES:
                raise ParseError(f"message {index + 1} of the mailbox is larger than "
                                 f"{MAX_MESSAGE_BYTES // (1024 * 1024)} MiB")
        if pending is None:
            raise ParseError("the mailbox holds no message")
        yield pending
    except (OSError, mailbox.Error) as exc:
        raise ParseError(f"not a readable mbox mailbox: {exc}") from None


def _members(path: Path) -> WriteMembers:
    def write(sink: MemberSink) -> None:
        for number, data in enumerate(mailbox_messages(path), start=1):
            sink.add(_member_name(number, data), [data], size=len(data))

    return write


class MboxParser:
    media_types = ("application/mbox",)

    def parse(self, path: Path) -> ParsedDocument:
        # The first message is read now, so a file that is no mailbox fails at once; the
        # rest are handed to the sink one at a time (members run before the page is read).
        next(mailbox_messages(path))
        text = ("An mbox mailbox: each message is a document of its own, listed as this "
                "file's contents.")

        def pages() -> Iterator[ExtractedPage]:
            yield ExtractedPage(1, text)

        return ParsedDocument(pages=pages(), page_count=1, metadata={"mailbox": "mbox"},
                              members=_members(path), members_via="mailbox")
