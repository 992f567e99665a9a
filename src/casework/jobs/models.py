"""Job table."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, utcnow


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"  # its document was deleted: dropped if queued, stopped if running


class JobPriority:
    """Lower runs first: interactive ingest is never starved by bulk embedding."""

    interactive = 10
    derived = 30  # previews: after every waiting upload's text, before bulk embedding
    bulk = 50
    enrich = 70  # entities: after vectors, so semantic search is complete first


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (Index("ix_job_claim", "status", "priority", "run_after"),
                      Index("ix_job_lease", "status", "locked_until"),
                      # The fair claim: workspaces with queued work, and each one's oldest.
                      Index("ix_job_fair_claim", "status", "priority", "workspace_id", "id"),
                      # Its tie-break: when each workspace last had a job started.
                      Index("ix_job_workspace_started", "workspace_id", "started_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str | None] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), default=None, index=True
    )
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(String(16), default=JobStatus.queued)
    priority: Mapped[int] = mapped_column(Integer, default=JobPriority.interactive)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(120), default=None)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    progress: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class WorkerHeartbeat(Base):
    """One row per live worker, refreshed every few seconds: readiness and metrics read it.

    It lives in the database because with several server processes (or machines) the one
    answering a health check is often not the one running the jobs.
    """

    __tablename__ = "worker_heartbeat"

    worker_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    threads: Mapped[int] = mapped_column(Integer, default=0)
    running_jobs: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
