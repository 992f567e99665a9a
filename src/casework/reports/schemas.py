"""Report and saved-question API shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from casework.ask.service import AnswerMode
from casework.reports.models import Report, ReportFormat, ReportStatus, SavedQuestion


class ReportFileOut(BaseModel):
    format: ReportFormat
    sha256: str = Field(description="SHA-256 of the file's bytes, as the download sends them.")
    size: int
    url: str = Field(description="Where to download it (GET, audited as report.download).")


class ReportOut(BaseModel):
    id: str
    collection_id: str
    status: ReportStatus
    job_id: int | None = Field(description="The generate_report job (GET /jobs/{id}).")
    created_by: str | None = Field(description="Who asked for it, as the audit log names them.")
    created_at: datetime
    generated_at: datetime | None = Field(description="The time printed in the footer.")
    as_of: datetime | None = Field(description="The newest change of the collection read: "
                                   "the PDF's creation date.")
    documents: int | None
    inventory_sha256: str | None = Field(description="SHA-256 of the inventory CSV, printed "
                                         "in the report's footer.")
    content_sha256: str | None = Field(description="SHA-256 of the HTML without its "
                                       "generation-time line: equal for two reports of an "
                                       "unchanged collection (docs/reports.md).")
    files: list[ReportFileOut] = Field(description="Empty until the report is ready.")
    error: str | None

    @classmethod
    def build(cls, report: Report) -> ReportOut:
        files = []
        if report.status == ReportStatus.ready:
            for fmt, sha256, size in ((ReportFormat.pdf, report.pdf_sha256, report.pdf_size),
                                      (ReportFormat.html, report.html_sha256, report.html_size),
                                      (ReportFormat.csv, report.inventory_sha256,
                                       report.inventory_size)):
                if sha256 is not None and size is not None:
                    files.append(ReportFileOut(
                        format=fmt, sha256=sha256, size=size,
                        url=f"/api/v1/reports/{report.id}/download?format={fmt.value}"))
        return cls(id=report.id, collection_id=report.collection_id, status=report.status,
                   job_id=report.job_id, created_by=report.created_by_label,
                   created_at=report.created_at, generated_at=report.generated_at,
                   as_of=report.as_of, documents=report.document_count,
                   inventory_sha256=report.inventory_sha256,
                   content_sha256=report.content_sha256, files=files, error=report.error)


class SavedQuestionIn(BaseModel):
    question: str = Field(min_length=1, max_length=1000)
    mode: AnswerMode = Field(default=AnswerMode.auto, description="As for POST /ask.")


class SavedCitationOut(BaseModel):
    document_id: str | None
    note_id: str | None
    title: str
    page: int
    start: int
    end: int
    text: str = Field(description="The page's text from start to end, verbatim.")


class SavedQuestionOut(BaseModel):
    id: str
    collection_id: str
    question: str
    answer: str
    found: bool
    mode: str
    confidence: float
    citations: list[SavedCitationOut]
    created_by: str | None
    created_at: datetime

    @classmethod
    def build(cls, saved: SavedQuestion) -> SavedQuestionOut:
        return cls(id=saved.id, collection_id=saved.collection_id, question=saved.question,
                   answer=saved.answer, found=saved.found, mode=saved.mode,
                   confidence=saved.confidence,
                   citations=[SavedCitationOut.model_validate(c) for c in saved.citations],
                   created_by=saved.created_by_label, created_at=saved.created_at)
