"""The fields of `Settings` for the scheduled learning (docs/learning.md): where the daily
run keeps its tag models, how often it runs, and what a workspace needs to be learnt from.

`Settings` (core/settings.py) inherits them, so there is still one settings object.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, field_validator


def check_s3_location(value: str | None) -> None:
    """An s3:// location must name its bucket (MODEL_STORAGE_PATH, BACKUP_TARGET)."""
    if value and value.startswith("s3://") and not value[len("s3://"):].split("/")[0]:
        raise ValueError("an S3 location needs a bucket: s3://bucket/prefix/")


class LearningFields(BaseModel):
    """Fields only: never built on its own (`Settings` reads them from the environment)."""

    model_storage_path: str | None = Field(
        default=None, description="Where the daily run writes its tag models: a folder, or "
        "s3://bucket/prefix/ (the S3_* settings apply, as for BACKUP_TARGET); default "
        "DATA_DIR/models.")
    model_keep: Annotated[int, Field(ge=1, le=1000)] = Field(
        default=5, description="Model versions kept per workspace (the newest ones).")
    daily_run_interval_hours: Annotated[float, Field(ge=0, le=8760)] = Field(
        default=0.0, description="Train the tag models every N hours from the job workers "
        "(embedded) or `casework scheduler` (Celery beat); 0: only the cron job's "
        "`casework worker daily-run` does.")
    daily_run_horizon_days: Annotated[int, Field(ge=1, le=3650)] = Field(
        default=90, description="The scheduled run learns from documents tagged in the last "
        "N days.")
    learning_min_documents: Annotated[int, Field(ge=2, le=1_000_000)] = Field(
        default=20, description="A workspace with fewer tagged documents is skipped.")
    learning_min_tag_examples: Annotated[int, Field(ge=2, le=100_000)] = Field(
        default=5, description="A tag needs this many documents to be learnt; fewer tags "
        "than two that qualify skips the workspace.")
    learning_min_confidence: Annotated[float, Field(ge=0, le=1)] = Field(
        default=0.5, description="Suggestions below this confidence are not shown.")

    @field_validator("model_storage_path")
    @classmethod
    def _check_model_storage_path(cls, value: str | None) -> str | None:
        check_s3_location(value)
        return value or None
