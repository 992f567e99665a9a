"""Case reports and the saved questions they quote.

A report row is written when a report is asked for and completed by the generate_report
job: what was generated (status, the files' blob keys, SHA-256 and sizes) and the digests
that make it checkable (the inventory's, and the content's without the generation time).
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, Timestamped, utcnow
from casework.core.ids import new_id


class ReportStatus(StrEnum):
    queued = "queued"
    running = "running"
    ready = "ready"
    failed = "failed"


class ReportFormat(StrEnum):
    """What a report can be downloaded as: the inventory CSV is the file whose SHA-256
    the report's footer names, so anyone can check it with `sha256sum`."""

    pdf = "pdf"
    html = "html"
    csv = "csv"


class Report(Base):
    __tablename__ = "report"
    __table_args__ = (
        Index("ix_report_workspace_collection_created", "workspace_id", "collection_id",
              "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    collection_id: Mapped[str] = mapped_column(ForeignKey("collection.id", ondelete="CASCADE"))
    status: Mapped[ReportStatus] = mapped_column(String(16), default=ReportStatus.queued)
    # Who asked: the audit event of the generation names them, as a request would.
    created_by: Mapped[str | None] = mapped_column(String(32), default=None)
    created_by_api_key: Mapped[str | None] = mapped_column(String(32), default=None)
    created_by_label: Mapped[str | None] = mapped_column(String(320), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    job_id: Mapped[int | None] = mapped_column(default=None)
    # Set by the job: the wall-clock time printed in the footer, and the newest change of
    # the collection the content was read at (the PDF's creation date).
    generated_at: Mapped[datetime | None] = mapped_column(default=None)
    as_of: Mapped[datetime | None] = mapped_column(default=None)
    document_count: Mapped[int | None] = mapped_column(default=None)
    inventory_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    inventory_key: Mapped[str | None] = mapped_column(String(300), default=None)
    inventory_size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # SHA-256 of the HTML without its one generation-time line (docs/reports.md): equal
    # for two reports of an unchanged collection.
    content_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    pdf_key: Mapped[str | None] = mapped_column(String(300), default=None)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    pdf_size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    html_key: Mapped[str | None] = mapped_column(String(300), default=None)
    html_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    html_size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class SavedQuestion(Timestamped, Base):
    """A question kept with a collection, answered when it was saved: the report quotes
    the answer as it was then, so generating the report twice gives the same text."""

    __tablename__ = "saved_question"
    __table_args__ = (
        Index("ix_saved_question_workspace_collection", "workspace_id", "collection_id",
              "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    collection_id: Mapped[str] = mapped_column(ForeignKey("collection.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(1000))
    answer: Mapped[str] = mapped_column(Text)
    found: Mapped[bool] = mapped_column(Boolean)
    mode: Mapped[str] = mapped_column(String(16))  # extractive | generated
    confidence: Mapped[float] = mapped_column(Float)
    # [{document_id, note_id, title, page, start, end, text}]: each citation verbatim.
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str | None] = mapped_column(String(32), default=None)
    created_by_label: Mapped[str | None] = mapped_column(String(320), default=None)
