"""The fields of `Settings` for outgoing webhooks: where they may go, how long a receiver
may take, and how deliveries are retried (webhooks/, docs/webhooks.md).

`Settings` (core/settings.py) inherits them, so there is still one settings object.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field


class WebhookFields(BaseModel):
    """Fields only: never built on its own (`Settings` reads them from the environment)."""

    webhook_allow_private: bool = Field(
        default=False, description="Let webhooks go to loopback, private, link-local and "
        "other non-public addresses. Off by default (and it should stay off in production): "
        "a workspace admin could otherwise make the server call its own network (SSRF). "
        "Turn it on for a receiver on this machine or the LAN (development, tests).")
    webhook_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = Field(
        default=10.0, description="Connect, write and read time of one delivery attempt; "
        "a receiver slower than this counts as a failed attempt (retried).")
    webhook_max_attempts: Annotated[int, Field(ge=1, le=50)] = Field(
        default=10, description="Attempts per delivery (the first included) before it is "
        "marked failed.")
    webhook_retry_base_seconds: Annotated[float, Field(ge=0)] = Field(
        default=30.0, description="Wait before the first retry; each next one doubles "
        "(with jitter: between half and all of it) up to WEBHOOK_RETRY_MAX_SECONDS. With "
        "the defaults the 10 attempts span 1.5 to 3 hours.")
    webhook_retry_max_seconds: Annotated[float, Field(ge=0)] = Field(
        default=3600.0, description="Longest wait between two attempts of a delivery.")
    webhook_max_endpoints: Annotated[int, Field(ge=1, le=100)] = Field(
        default=20, description="Webhook endpoints one workspace may have.")
