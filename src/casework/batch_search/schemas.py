"""Batch search API shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class TermResult(BaseModel):
    term: str
    label: str
    documents: int = Field(description="Documents with a passage the term matches.")
    unique: int = Field(description="Of those, the documents no other term of the list hit.")
    document_ids: list[str] = Field(description="Up to 500 of them (the counts are exact).")


class BatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    collection_id: str | None
    status: str = Field(description="queued, running, ready or failed.")
    terms: list[dict[str, str]]
    results: list[TermResult] | None
    documents_hit: int | None = Field(description="Documents any term hit.")
    error: str | None
    created_by_label: str | None
    created_at: datetime
    finished_at: datetime | None


class BatchSummaryOut(BaseModel):
    """A batch in a list: no terms or results."""

    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    collection_id: str | None
    status: str
    documents_hit: int | None
    created_at: datetime
    finished_at: datetime | None
