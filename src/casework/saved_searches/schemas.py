"""Saved search API shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from casework.saved_searches.service import MAX_NAME, MAX_QUERY


class SavedSearchCreate(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_NAME)
    query: str = Field(min_length=1, max_length=MAX_QUERY,
                       description='The keyword syntax of search: words, "phrases", '
                                   '"two words"~5, prefix*.')
    collection_id: str | None = Field(default=None, max_length=32)
    alert_webhook: bool = Field(default=False, description="A `saved_search.match` webhook "
                                "event for each new matching document.")
    alert_email: bool = Field(default=False, description="An e-mail to the person who saved "
                              "it for each new matching document.")


class SavedSearchUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)
    alert_webhook: bool | None = None
    alert_email: bool | None = None


class SavedSearchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    query: str
    collection_id: str | None
    alert_webhook: bool
    alert_email: bool
    created_by_label: str | None
    created_at: datetime


class SavedSearchMatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    document_id: str
    matched_at: datetime
    by_webhook: bool
    by_email: bool
