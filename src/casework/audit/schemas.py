"""Audit API shapes."""

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    created_at: datetime
    workspace_id: str | None
    action: str
    outcome: str
    actor_user_id: str | None
    actor_api_key_id: str | None
    actor_label: str | None
    target_type: str | None
    target_id: str | None
    ip: str | None
    user_agent: str | None
    request_id: str | None
    details: dict[str, Any]
    seq: int | None = None
    prev_hash: str | None = None
    hash: str | None = None

    @field_validator("details", mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value


class ChainGap(BaseModel):
    from_seq: int
    to_seq: int


class ChainReportOut(BaseModel):
    """`casework audit verify` as JSON: which rows of the chain no longer hold."""

    chain: str
    ok: bool
    events: int
    head_seq: int
    head_hash: str
    first_broken_seq: int | None
    edited: list[int]
    broken_links: list[int]
    gaps: list[ChainGap]
    unlinked: bool
    head_mismatch: bool
