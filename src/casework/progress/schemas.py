"""Progress, batches and failures as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from casework.progress.failures import Failure
from casework.progress.service import Progress, Scope


class StageCounts(BaseModel):
    stored: int = Field(description="Documents whose original is stored (all of them).")
    text: dict[str, int] = Field(description="Extraction: pending, ready, failed.")
    ocr: dict[str, int] = Field(description="`needed`: documents that needed OCR; then by "
                                "outcome (done, partial, no_text, unavailable, disabled).")
    previews: dict[str, int] = Field(description="pending, ready, failed, none (this type "
                                     "has none), blocked (its text failed).")
    vectors: dict[str, int] = Field(description="pending, ready, failed, skipped (semantic "
                                    "search off, or no text), blocked (its text failed).")
    entities: dict[str, Any] = Field(description="enabled, pending, failed, done.")


class Throughput(BaseModel):
    documents_per_second: float
    window_seconds: int
    finished_in_window: int


class ProgressOut(BaseModel):
    collection_id: str
    batch_id: str | None = None
    total: int = Field(description="Documents in scope (a batch's new ones; duplicates apart).")
    states: dict[str, int] = Field(description="queued, processing, ready, failed.")
    stages: StageCounts
    throughput: Throughput
    eta_seconds: int | None = Field(description="Queued and processing documents over the "
                                    "rate; null while nothing has finished in the window.")
    started_at: datetime | None
    finished_at: datetime | None = Field(description="When the last stage finished; null "
                                         "while any is pending.")
    done: bool

    @classmethod
    def build(cls, scope: Scope, progress: Progress) -> ProgressOut:
        return cls(collection_id=scope.collection_id, batch_id=scope.batch_id,
                   **progress.as_dict())


class BatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    collection_id: str
    via: str
    created_by_user_id: str | None
    created_by_api_key_id: str | None
    created_by_label: str | None
    file_count: int
    created_at: datetime


class BatchProgressOut(BaseModel):
    batch: BatchOut
    documents: int = Field(description="New documents the batch brought.")
    duplicates: int = Field(description="Files whose bytes were already in the workspace.")
    progress: ProgressOut


class FailureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    document_id: str
    filename: str
    stage: str = Field(description="text, previews, vectors or entities.")
    code: str = Field(description="extraction_failed, previews_failed, embedding_failed or "
                      "entities_failed.")
    message: str
    attempts: int | None
    failed_at: datetime | None


class FailuresOut(BaseModel):
    items: list[FailureOut]
    total: int = Field(description="Documents with at least one failed stage.")
    limit: int
    offset: int

    @classmethod
    def build(cls, rows: list[Failure], total: int, *, limit: int, offset: int) -> FailuresOut:
        return cls(items=[FailureOut.model_validate(r) for r in rows], total=total,
                   limit=limit, offset=offset)


class RetriedOut(BaseModel):
    text: int = Field(description="Documents queued for extraction again.")
    previews: int
    vectors: int
    entities: int
    vectors_not_retried: int = Field(description="Failed vectors left as they are: semantic "
                                     "search is off.")
