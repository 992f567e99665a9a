"""API shapes of the learning domain: suggestions and daily runs."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class SuggestionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    document_id: str
    tag: str
    confidence: float
    status: str
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime


class LearningRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str
    reason: str | None
    horizon_days: int
    examples: int
    held_out: int
    tags: list[str]
    accuracy: float | None
    macro_f1: float | None
    suggestions: int
    duration_seconds: float
    model_version: str | None
    started_at: datetime
    finished_at: datetime | None
