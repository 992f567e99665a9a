"""Daily runs (one row per workspace and run, with its metrics) and tag suggestions."""

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, utcnow
from casework.core.ids import new_id


class RunStatus:
    succeeded = "succeeded"  # a model was trained, evaluated, stored and applied
    skipped = "skipped"  # too few examples: `reason` says which
    failed = "failed"  # an error: `reason` holds it


class LearningRun(Base):
    """One workspace's part of a daily run. `model_sha256` is what a loader checks the
    artefact against before unpickling it (learning/artefacts.py says why)."""

    __tablename__ = "learning_run"
    __table_args__ = (Index("ix_learning_run_workspace_started", "workspace_id", "started_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    horizon_days: Mapped[int] = mapped_column(Integer)
    examples: Mapped[int] = mapped_column(Integer, default=0)
    held_out: Mapped[int] = mapped_column(Integer, default=0)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    accuracy: Mapped[float | None] = mapped_column(Float, default=None)
    macro_f1: Mapped[float | None] = mapped_column(Float, default=None)
    suggestions: Mapped[int] = mapped_column(Integer, default=0)
    duration_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    model_version: Mapped[str | None] = mapped_column(String(64), default=None)
    model_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class SuggestionStatus:
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"


class TagSuggestion(Base):
    """A tag the model proposes for an untagged document. Accepted and rejected rows stay:
    they are the feedback the next run reads (a rejected pair is never proposed again)."""

    __tablename__ = "tag_suggestion"
    __table_args__ = (Index("ix_tag_suggestion_document", "document_id", "status"),
                      Index("ix_tag_suggestion_workspace", "workspace_id", "status"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    document_id: Mapped[str] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    run_id: Mapped[str | None] = mapped_column(
        ForeignKey("learning_run.id", ondelete="SET NULL"), default=None)
    tag: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default=SuggestionStatus.pending)
    decided_by: Mapped[str | None] = mapped_column(String(200), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
