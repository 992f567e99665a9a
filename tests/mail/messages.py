"""E-mail fixtures made in the tests: messages (.eml bytes) and mailboxes (.mbox)."""

from __future__ import annotations

import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from fastapi.testclient import TestClient


def message(*, sender: str, to: str, subject: str, date: str, body: str,
            message_id: str | None = None, in_reply_to: str | None = None,
            references: str | None = None, extra: dict[str, str] | None = None,
            attachment: tuple[str, bytes] | None = None,
            forwarded: bytes | None = None) -> bytes:
    mail = EmailMessage()
    for name, value in {**(extra or {}), "From": sender, "To": to, "Subject": subject,
                        "Date": date, "Message-ID": message_id, "In-Reply-To": in_reply_to,
                        "References": references}.items():
        if value:
            mail[name] = value
    mail.set_content(body)
    if attachment:
        name, data = attachment
        mail.add_attachment(data, maintype="text", subtype="plain", filename=name)
    if forwarded:
        inner = BytesParser(policy=policy.default).parsebytes(forwarded)
        mail.add_attachment(inner, filename="forwarded.eml")
    return mail.as_bytes()


def mailbox(*messages: bytes) -> bytes:
    """An mbox: each message after a `From ` line, body lines starting "From " escaped."""
    out = bytearray()
    for data in messages:
        out += b"From sender@example.org Mon Mar  3 09:00:00 2025\n"
        for line in data.replace(b"\r\n", b"\n").split(b"\n"):
            out += (b">" + line if line.startswith(b"From ") else line) + b"\n"
        out += b"\n"
    return bytes(out)


def collection_documents(client: TestClient, collection_id: str, *, expected: int,
                         timeout: float = 120.0) -> list[dict]:
    """Every document of the collection once `expected` of them exist and all have
    settled (a mailbox's messages and their attachments arrive as later jobs)."""
    deadline = time.monotonic() + timeout
    while True:
        page = client.get("/api/v1/documents", params={"collection_id": collection_id,
                                                       "limit": 200}).json()
        items = page["items"]
        if len(items) >= expected and all(d["status"] in ("ready", "failed") for d in items):
            return [client.get(f"/api/v1/documents/{d['id']}").json() for d in items]
        if time.monotonic() > deadline:
            raise AssertionError(f"the collection did not settle: {items}")
        time.sleep(0.1)
