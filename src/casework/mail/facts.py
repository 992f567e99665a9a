"""What threading and deduplication need from one message, read from its headers.

Parsers (EML, MSG, PST, MBOX members) run in the sandbox and hand these facts back as
`metadata["mail"]`; the server stores them in the `mail` tables. Stdlib only: the parser
process imports this module, and it must start fast.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

MAX_REFERENCES = 100  # a References header lists at most this many ids (the newest kept)
MAX_ADDRESSES = 200  # To + Cc addresses kept per message
MAX_ID = 255
MAX_SUBJECT = 500

# "Re:", "RE[2]:", "Fwd:", "FW:", "AW:" (German), "WG:", "SV:" (Nordic), "VS:", "TR:",
# "RV:", "Antw:", "Doorst:", "Réf:": repeated, with or without list tags like "[team]".
_PREFIX = re.compile(
    r"^\s*(?:\[[^\]]{1,40}\]\s*)?(?:re|fwd?|aw|wg|sv|vs|tr|rv|antw|doorst|r[ée]f)"
    r"(?:\s*\[\d+\]|\s*\(\d+\))?\s*:\s*", re.IGNORECASE)
_LIST_TAG = re.compile(r"^\s*\[[^\]]{1,40}\]\s*")
_MSGID = re.compile(r"<([^<>\s]{1,250})>")
_SPACE = re.compile(r"\s+")


def normalise_subject(subject: str | None) -> str:
    """The subject without reply and forward prefixes: what a thread shares."""
    text = _SPACE.sub(" ", unicodedata.normalize("NFC", subject or "")).strip()
    while True:
        stripped = _PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return text.strip()[:MAX_SUBJECT]


def subject_key(subject: str | None) -> str:
    """The normalised subject compared case- and list-tag-blind (the fallback's key)."""
    return _LIST_TAG.sub("", normalise_subject(subject)).casefold()[:MAX_SUBJECT]


def message_ids(value: str | None) -> list[str]:
    """The `<id>`s in a Message-ID, In-Reply-To or References header, in order, bare."""
    if not value:
        return []
    found = [m.group(1)[:MAX_ID] for m in _MSGID.finditer(value)]
    if not found and value.strip() and " " not in value.strip():
        found = [value.strip().strip("<>")[:MAX_ID]]  # an id some clients write bare
    return found


def addresses(*values: str | None) -> list[str]:
    """The e-mail addresses in address headers, lower-cased, first occurrence kept."""
    seen: dict[str, None] = {}
    for _, address in getaddresses([v for v in values if v]):
        address = address.strip().lower()
        if "@" in address and len(address) <= 320:
            seen.setdefault(address, None)
        if len(seen) >= MAX_ADDRESSES:
            break
    return list(seen)


def sent_at(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return sent.astimezone(UTC) if sent.tzinfo else sent.replace(tzinfo=UTC)


@dataclass(slots=True)
class MailFacts:
    """One message's threading and identity facts (JSON-ready through `as_metadata`)."""

    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    subject: str
    sender: str | None  # the From address
    sender_name: str | None
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    sent_at: datetime | None = None
    identity: str = ""  # what makes two copies the same message (see `identity_of`)

    def as_metadata(self) -> dict[str, Any]:
        data = asdict(self)
        data["sent_at"] = self.sent_at.isoformat() if self.sent_at else None
        return data

    @classmethod
    def from_metadata(cls, data: dict[str, Any]) -> MailFacts:
        """Back from a parser's reply (untrusted: it read hostile bytes), trimmed to limits."""
        def text(name: str, limit: int) -> str | None:
            value = data.get(name)
            return str(value)[:limit] if isinstance(value, str) and value else None

        def strings(name: str, limit: int) -> list[str]:
            value = data.get(name)
            if not isinstance(value, list):
                return []
            return [str(v)[:MAX_ID] for v in value if isinstance(v, str) and v][-limit:]

        when = None
        if isinstance(data.get("sent_at"), str):
            try:
                when = datetime.fromisoformat(data["sent_at"]).astimezone(UTC)
            except ValueError:
                when = None
        return cls(message_id=text("message_id", MAX_ID),
                   in_reply_to=text("in_reply_to", MAX_ID),
                   references=strings("references", MAX_REFERENCES),
                   subject=text("subject", MAX_SUBJECT) or "",
                   sender=text("sender", 320), sender_name=text("sender_name", 200),
                   to=strings("to", MAX_ADDRESSES), cc=strings("cc", MAX_ADDRESSES),
                   sent_at=when, identity=text("identity", 80) or "")

    @property
    def participants(self) -> set[str]:
        return {a for a in (self.sender, *self.to, *self.cc) if a}


def identity_of(*, message_id: str | None, sender: str | None, recipients: list[str],
                sent: datetime | None, subject: str, body: str) -> str:
    """The same message in two mailboxes has the same identity: its Message-ID, else a
    hash of the headers that travel with it and its body with whitespace evened out
    (mailboxes re-wrap lines and add Received/Status headers, which are left out)."""
    if message_id:
        return "id:" + hashlib.sha256(message_id.lower().encode()).hexdigest()
    parts = [sender or "", ",".join(sorted(recipients)),
             sent.isoformat() if sent else "", normalise_subject(subject),
             _SPACE.sub(" ", body).strip()]
    return "sha:" + hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()


def facts_from_headers(*, headers: dict[str, str | None], body: str) -> MailFacts:
    """Facts from raw header values (`Message-ID`, `In-Reply-To`, `References`, `From`,
    `To`, `Cc`, `Date`, `Subject`), as EML and MSG both have them."""
    own = message_ids(headers.get("Message-ID"))
    message_id = own[0] if own else None
    replied = message_ids(headers.get("In-Reply-To"))
    references = message_ids(headers.get("References"))[-MAX_REFERENCES:]
    senders = getaddresses([headers["From"]]) if headers.get("From") else []
    sender_name, sender = (senders[0] if senders else ("", ""))
    to, cc = addresses(headers.get("To")), addresses(headers.get("Cc"))
    when = sent_at(headers.get("Date"))
    subject = normalise_subject(headers.get("Subject"))
    sender = sender.strip().lower() or None
    return MailFacts(
        message_id=message_id, in_reply_to=replied[0] if replied else None,
        references=references, subject=subject, sender=sender,
        sender_name=sender_name.strip()[:200] or None, to=to, cc=cc, sent_at=when,
        identity=identity_of(message_id=message_id, sender=sender, recipients=to + cc,
                             sent=when, subject=subject, body=body))
