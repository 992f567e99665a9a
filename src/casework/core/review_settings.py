"""The fields of `Settings` for review: how many documents one batch coding may touch, and
when two documents count as near-duplicates (and how many a backfill queues at a time).

`Settings` (core/settings.py) inherits them, so there is still one settings object.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field


class ReviewFields(BaseModel):
    """Fields only: never built on its own (`Settings` reads them from the environment)."""

    review_batch_max: Annotated[int, Field(ge=1, le=100_000)] = Field(
        default=10_000, description="Documents one batch coding may change, in one "
        "transaction; a larger selection is refused (narrow the search).")
    near_duplicate_threshold: Annotated[float, Field(ge=0.5, le=1.0)] = Field(
        default=0.8, description="Estimated Jaccard similarity of two documents' word "
        "shingles at or above which they join one near-duplicate group.")
    near_duplicate_backfill_batch: Annotated[int, Field(ge=1, le=10_000)] = Field(
        default=500, description="Documents a near-duplicate backfill queues per "
        "transaction: each batch commits, so an interrupted backfill keeps what it queued "
        "and a rerun goes on from there (docs/near-duplicates.md, \"Upgrading\").")
