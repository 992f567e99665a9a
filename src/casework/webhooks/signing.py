"""The signature on every delivery: HMAC-SHA256 of "<timestamp>.<body>" with the endpoint's
secret, sent as `X-Casework-Signature: sha256=<hex>` beside `X-Casework-Timestamp` (Unix
seconds). Signing the timestamp with the body lets a receiver refuse replays of an old
delivery: check the signature, then that the timestamp is recent (docs/webhooks.md)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Casework-Signature"
TIMESTAMP_HEADER = "X-Casework-Timestamp"
EVENT_HEADER = "X-Casework-Event"
DELIVERY_HEADER = "X-Casework-Delivery"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, sent: str, *, now: float,
           tolerance_seconds: float = 300) -> bool:
    """What a receiver does (the docs show the same in a few lines of Python)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance_seconds:
        return False
    return hmac.compare_digest(signature(secret, int(timestamp), body), sent)
