"""Where a request came from: what the audit log records and the rate limits key on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestOrigin:
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None

    @classmethod
    def cli(cls) -> RequestOrigin:
        """Commands run on the server itself: no IP, a recognisable agent."""
        return cls(ip=None, user_agent="casework-cli", request_id=None)
