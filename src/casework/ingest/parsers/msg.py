"""Outlook messages (.msg, an OLE compound file), read with extract-msg into the same
`EmailMessage` an .eml gives, then described by the e-mail parser: one text, one set of
threading facts, attachments as documents of their own."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from casework.ingest.parsers.base import ParsedDocument, ParseError
from casework.ingest.parsers.eml import describe_message, read_message


def _open(path: Path) -> EmailMessage:
    import extract_msg  # heavy (RTF, OLE, HTML): loaded only for .msg files

    try:
        msg = extract_msg.openMsg(str(path), strict=False, delayAttachments=False)
    except Exception as exc:  # extract-msg raises many kinds for a broken file
        raise ParseError(f"not a readable Outlook message (.msg): {exc}") from None
    try:
        if not isinstance(msg, extract_msg.Message):
            raise ParseError("the .msg file is an Outlook item that is not an e-mail "
                             f"({type(msg).__name__})")
        converted = msg.asEmailMessage()
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError(f"could not read the Outlook message: {exc}") from None
    finally:
        msg.close()
    # Round-trip through bytes: the converted message then parses as any .eml does.
    return read_message(converted.as_bytes())


class MsgParser:
    media_types = ("application/vnd.ms-outlook",)

    def parse(self, path: Path) -> ParsedDocument:
        return describe_message(_open(path))
