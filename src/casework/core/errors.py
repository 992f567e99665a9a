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

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"error": error}


class NotFound(CaseworkError):
    status_code = 404
    code = "not_found"


class Conflict(CaseworkError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(CaseworkError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(CaseworkError):
    status_code = 415
    code = "unsupported_media_type"


class InvalidInput(CaseworkError):
    status_code = 422
    code = "invalid_input"


class ServiceUnavailable(CaseworkError):
    status_code = 503
    code = "service_unavailable"
