"""Legal hold API shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from casework.holds.service import MAX_NAME, MAX_TEXT


class HoldCreate(BaseModel):
    """A hold on exactly one of: a collection (`collection_id`) or a custodian."""

    name: str = Field(min_length=1, max_length=MAX_NAME)
    matter: str = Field(min_length=1, max_length=MAX_TEXT,
                        description="The matter, or the reason for the hold.")
    collection_id: str | None = Field(default=None, max_length=32)
    custodian: str | None = Field(default=None, max_length=MAX_NAME)


class HoldRelease(BaseModel):
    reason: str = Field(min_length=1, max_length=MAX_TEXT)


class HoldOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    matter: str
    scope: str = Field(description="'collection' or 'custodian'.")
    collection_id: str | None
    target_label: str = Field(description="The collection's name, or the custodian.")
    active: bool
    created_at: datetime
    created_by_user_id: str | None
    created_by_label: str | None
    released_at: datetime | None
    released_by_user_id: str | None
    released_by_label: str | None
    release_reason: str | None
