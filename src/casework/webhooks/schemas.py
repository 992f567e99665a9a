"""Webhook API shapes: the secret appears only in the answers to creation and rotation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from casework.webhooks.events import WebhookEvent
from casework.webhooks.service import DeliveryLog
from casework.webhooks.targets import MAX_URL_CHARS

Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=8,
                                       max_length=MAX_URL_CHARS)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Events = Annotated[list[WebhookEvent], Field(min_length=1, max_length=len(WebhookEvent))]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Url = Field(description="http(s) URL the events are POSTed to.")
    events: Events
    description: Description = ""
    active: bool = True


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Url | None = None
    events: Events | None = None
    description: Description | None = None
    active: bool | None = None


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    url: str
    description: str
    events: list[WebhookEvent]
    active: bool
    secret_prefix: str = Field(description="The first characters of the secret, to "
                               "recognise it.")
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Signs every delivery (X-Casework-Signature). Shown "
                        "once: store it now.")


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    number: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: float
    error: str | None
    response_prefix: str | None = Field(description="The first 256 characters of the "
                                        "receiver's answer; the rest is not kept.")


class DeliveryOut(BaseModel):
    id: str
    event: str
    status: str = Field(description="pending, succeeded, failed or cancelled.")
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    log: list[AttemptOut]

    @classmethod
    def build(cls, entry: DeliveryLog) -> DeliveryOut:
        d = entry.delivery
        return cls(id=d.id, event=d.event, status=d.status, attempts=d.attempts,
                   last_status_code=d.last_status_code, last_error=d.last_error,
                   created_at=d.created_at, finished_at=d.finished_at,
                   log=[AttemptOut.model_validate(a) for a in entry.attempts])
