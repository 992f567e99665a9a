"""One exception hierarchy for the whole app, mapped to JSON in one place.

Services raise these; routes never build error responses by hand. Each error has a stable
machine `code` that clients can branch on and a human `message`.
"""

from __future__ import annotations

from typing import Any


class CaseworkError(Exception):
    """Base of every error a client may see."""

    status_code: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None,
                 keep_changes: bool = False, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        # The request fails, but what the service flushed before raising is committed:
        # a failed login's audit row, a refresh-token family revoked on reuse.
        self.keep_changes = keep_changes
        self.headers = headers or {}

    def to_body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details)


def error_body(code: str, message: str, details: object | None = None) -> dict[str, Any]:
    """The JSON every error answer carries, whichever layer refuses the request:
    `{"error": {"code", "message", "details"?}}`."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


class NotFound(CaseworkError):
    status_code = 404
    code = "not_found"


class Conflict(CaseworkError):
    status_code = 409
    code = "conflict"


class Gone(CaseworkError):
    """It existed and will not come back (an expired or revoked share link)."""

    status_code = 410
    code = "gone"


class PayloadTooLarge(CaseworkError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(CaseworkError):
    status_code = 415
    code = "unsupported_media_type"


class InvalidInput(CaseworkError):
    status_code = 422
    code = "invalid_input"


class ClientDisconnected(CaseworkError):
    """The client went away mid-request (a cancelled upload): a normal event, not a fault.

    499 is the status proxies (nginx) record for it; the client never reads the answer,
    but access logs and metrics tell it apart from real errors.
    """

    status_code = 499
    code = "client_disconnected"


class ServiceUnavailable(CaseworkError):
    status_code = 503
    code = "service_unavailable"


class Unauthorized(CaseworkError):
    """No valid credentials: the client must (re-)authenticate."""

    status_code = 401
    code = "unauthorized"


class Forbidden(CaseworkError):
    """Authenticated, but the role or the key's scopes do not allow this in this workspace."""

    status_code = 403
    code = "forbidden"


class TwoFactorRequired(Forbidden):
    code = "two_factor_required"


class RateLimited(CaseworkError):
    status_code = 429
    code = "rate_limited"


class SecondFactorNeeded(Unauthorized):
    """The password was right; the login needs the TOTP or a recovery code too."""

    code = "second_factor_needed"
