"""E-mail messages (.eml): headers and body as text; attachments become documents of their own.

The body is the plain-text part, else the HTML part's visible text. Attachments are handed
back to the pipeline, which ingests them through the same service as uploads (sniffing,
dedupe, jobs) and links them to the message.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from casework.ingest.parsers.base import EmbeddedFile, ExtractedPage, ParsedDocument, ParseError

_HEADERS = ("From", "To", "Cc", "Date", "Subject")
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


def _attachments(message: EmailMessage) -> list[EmbeddedFile]:
    found: list[EmbeddedFile] = []
    for index, part in enumerate(message.iter_attachments(), start=1):
        if len(found) >= MAX_ATTACHMENTS:
            break
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            data = (inner[0] if isinstance(inner, list) else inner).as_bytes()
        else:
            data = part.get_payload(decode=True) or b""
        if data:
            name = part.get_filename() or f"attachment-{index}"
            found.append(EmbeddedFile(filename=name, data=data))
    return found


class EmlParser:
    media_types = ("message/rfc822",)

    def parse(self, path: Path) -> ParsedDocument:
        with open(path, "rb") as fh:
            try:
                message = BytesParser(policy=policy.default).parse(fh)
            except (ValueError, LookupError) as exc:
                raise ParseError(f"not a readable e-mail message: {exc}") from None
        assert isinstance(message, EmailMessage)
        headers = {name: str(message[name]).strip() for name in _HEADERS if message[name]}
        metadata: dict[str, object] = {name.lower(): value for name, value in headers.items()}
        if message["Message-ID"]:
            metadata["message_id"] = str(message["Message-ID"]).strip()
        captured_at = None
        if message["Date"]:
            try:
                sent = parsedate_to_datetime(str(message["Date"]))
                captured_at = sent.astimezone(UTC) if sent.tzinfo else None
            except (TypeError, ValueError):
                pass
        text = "\n".join(f"{name}: {value}" for name, value in headers.items())
        text += "\n\n" + _body(message)
        attachments = _attachments(message)

        def pages() -> Iterator[ExtractedPage]:
            yield ExtractedPage(1, text)

        return ParsedDocument(pages=pages(), page_count=1, title=headers.get("Subject"),
                              metadata=metadata, captured_at=captured_at,
                              attachments=attachments)
