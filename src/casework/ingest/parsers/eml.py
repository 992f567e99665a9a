"""E-mail messages (.eml): headers and body as text; attachments become documents of their own.

The body is the plain-text part, else the HTML part's visible text. Attachments are handed
back to the pipeline, which ingests them through the same service as uploads (sniffing,
dedupe, jobs) and links them to the message. The message's threading facts (Message-ID,
References, participants...) go to `metadata["mail"]` for the mail domain (docs/mail.md).
MSG and PST messages are read into the same `EmailMessage` and described here too.
"""

from __future__ import annotations

from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from casework.ingest.parsers.base import (
    ExtractedPage,
    MemberSink,
    ParsedDocument,
    ParseError,
    WriteMembers,
)
from casework.mail.facts import facts_from_headers

_HEADERS = ("From", "To", "Cc", "Date", "Subject")
_THREAD_HEADERS = ("Message-ID", "In-Reply-To", "References")
MAX_ATTACHMENTS = 200


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if part.get_content_subtype() == "html":
        tree = LexborHTMLParser(content)
        for node in tree.css("script, style, head"):
            node.decompose()
        root = tree.body or tree.root
        return root.text(separator="\n", strip=True) if root else ""
    return str(content)


def _attachment_parts(message: EmailMessage) -> Iterator[EmailMessage]:
    """The message's attachments, and those nested in its multipart sections (Outlook's
    converted messages put them inside multipart/related), never inside an attached
    message (that one is a document of its own, with its own attachments)."""
    yield from message.iter_attachments()  # type: ignore[misc]
    if not message.is_multipart() or message.get_content_type() == "message/rfc822":
        return
    for part in message.iter_parts():
        if part.is_multipart() and part.get_content_maintype() == "multipart":
            for nested in part.walk():
                if (nested.get_content_disposition() == "attachment"
                        and isinstance(nested, EmailMessage)):
                    yield nested


def _attachments(message: EmailMessage) -> WriteMembers:
    """The message's attachments, written to the sink when the sandbox asks for them.

    The message is already parsed in memory, so each attachment is one chunk; each one's
    inner path is its file name (a path in it is flattened: it names no folder here).
    """

    def write(sink: MemberSink) -> None:
        written = 0
        for index, part in enumerate(_attachment_parts(message), start=1):
            if written >= MAX_ATTACHMENTS:
                break
            if part.get_content_type() == "message/rfc822":
                inner = part.get_payload()
                data = (inner[0] if isinstance(inner, list) else inner).as_bytes()
            else:
                data = part.get_payload(decode=True) or b""
            if data:
                name = (part.get_filename() or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
                sink.add(name or f"attachment-{index}", [data], size=len(data))
                written += 1

    return write


def _header(message: EmailMessage, name: str) -> str | None:
    try:
        value = message[name]
    except (ValueError, LookupError, IndexError):  # a header the parser cannot fold
        return None
    return str(value).strip() if value else None


def describe_message(message: EmailMessage) -> ParsedDocument:
    """One message as a document: its headers and body as text, its facts, its files."""
    headers = {name: value for name in _HEADERS if (value := _header(message, name))}
    body = _body(message)
    facts = facts_from_headers(
        headers={**headers, **{name: _header(message, name) for name in _THREAD_HEADERS}},
        body=body)
    metadata: dict[str, object] = {name.lower(): value for name, value in headers.items()}
    if facts.message_id:
        metadata["message_id"] = facts.message_id
    metadata["mail"] = facts.as_metadata()
    text = "\n".join(f"{name}: {value}" for name, value in headers.items())
    text += "\n\n" + body

    def pages() -> Iterator[ExtractedPage]:
        yield ExtractedPage(1, text)

    return ParsedDocument(pages=pages(), page_count=1, title=headers.get("Subject"),
                          metadata=metadata, captured_at=facts.sent_at,
                          members=_attachments(message))


def read_message(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


class EmlParser:
    media_types = ("message/rfc822",)

    def parse(self, path: Path) -> ParsedDocument:
        with open(path, "rb") as fh:
            try:
                message = BytesParser(policy=policy.default).parse(fh)
            except (ValueError, LookupError) as exc:
                raise ParseError(f"not a readable e-mail message: {exc}") from None
        assert isinstance(message, EmailMessage)
        return describe_message(message)
