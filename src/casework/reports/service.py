"""Reports: asking for one (a job writes it), reading their status, opening their files.
Every query is scoped to one workspace; a report of another workspace is not found."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.collections import service as collections_service
from casework.core.errors import Conflict
from casework.core.scoping import get_scoped, scoped
from casework.jobs import service as jobs_service
from casework.jobs.models import JobPriority
from casework.reports.job_kinds import GENERATE_REPORT
from casework.reports.models import Report, ReportFormat, ReportStatus
from casework.runtime import Runtime

UNFINISHED = (ReportStatus.queued, ReportStatus.running)
MEDIA_TYPES = {ReportFormat.pdf: "application/pdf",
               ReportFormat.html: "text/html; charset=utf-8",
               ReportFormat.csv: "text/csv; charset=utf-8"}
FILE_NAMES = {ReportFormat.pdf: "report.pdf", ReportFormat.html: "report.html",
              ReportFormat.csv: "inventory.csv"}


@dataclass(frozen=True, slots=True)
class ReportFile:
    """One stored file of a ready report, to stream."""

    key: str
    sha256: str
    size: int
    media_type: str
    filename: str


def request_report(*, session: Session, runtime: Runtime, principal: Principal,
                   collection_id: str) -> tuple[Report, bool]:
    """Queue a report of the collection; True when this call queued it.

    A collection whose report is still queued or running gets that one back: a second
    click while it is being written must not write it twice.
    """
    workspace_id = principal.workspace_id
    collections_service.get_collection(session=session, workspace_id=workspace_id,
                                       collection_id=collection_id)
    pending = session.scalars(scoped(Report, workspace_id).where(
        Report.collection_id == collection_id, Report.status.in_(UNFINISHED),
    ).order_by(Report.created_at.desc())).first()
    if pending is not None:
        return pending, False
    report = Report(workspace_id=workspace_id, collection_id=collection_id,
                    created_by=principal.user_id, created_by_api_key=principal.api_key_id,
                    created_by_label=principal.label)
    session.add(report)
    session.flush()
    # After every waiting upload's text, before bulk embedding: someone is waiting for it.
    job = jobs_service.enqueue(session=session, kind=GENERATE_REPORT,
                               payload={"report_id": report.id}, workspace_id=workspace_id,
                               priority=JobPriority.derived,
                               max_attempts=runtime.settings.job_max_attempts,
                               notify=runtime.notify_jobs)
    report.job_id = job.id
    session.flush()
    return report, True


def get_report(*, session: Session, workspace_id: str, report_id: str) -> Report:
    return get_scoped(session, Report, workspace_id, report_id, noun="report")


def list_reports(*, session: Session, workspace_id: str, collection_id: str, limit: int,
                 offset: int) -> tuple[list[Report], int]:
    """The collection's reports, newest first."""
    collections_service.get_collection(session=session, workspace_id=workspace_id,
                                       collection_id=collection_id)
    query = scoped(Report, workspace_id).where(Report.collection_id == collection_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Report.created_at.desc(), Report.id)
                           .limit(limit).offset(offset))
    return list(rows), total


def report_file(report: Report, fmt: ReportFormat) -> ReportFile:
    """The stored file of a ready report; Conflict while it is being written."""
    if report.status != ReportStatus.ready:
        raise Conflict(f"the report is {report.status}, not ready yet")
    key, sha256, size = {
        ReportFormat.pdf: (report.pdf_key, report.pdf_sha256, report.pdf_size),
        ReportFormat.html: (report.html_key, report.html_sha256, report.html_size),
        ReportFormat.csv: (report.inventory_key, report.inventory_sha256,
                           report.inventory_size),
    }[fmt]
    assert key is not None and sha256 is not None and size is not None
    stamp = (report.generated_at or report.created_at).strftime("%Y%m%d-%H%M%S")
    return ReportFile(key=key, sha256=sha256, size=size, media_type=MEDIA_TYPES[fmt],
                      filename=f"report-{stamp}-{report.id[:8]}-{FILE_NAMES[fmt]}")


def download_report(*, session: Session, runtime: Runtime, principal: Principal,
                    report_id: str, fmt: ReportFormat) -> tuple[ReportFile, Iterator[bytes]]:
    """A ready report's file, streamed; audited (`report.download`, with its SHA-256) in
    its own short transaction, as GET routes hold a read-only session."""
    report = get_report(session=session, workspace_id=principal.workspace_id,
                        report_id=report_id)
    found = report_file(report, fmt)
    chunks = runtime.blobs.open_chunks(found.key)
    audit.record_read(sessions=runtime.sessions, principal=principal, action="report.download",
                      target_type="report", target_id=report.id,
                      details={"format": fmt.value, "sha256": found.sha256,
                               "collection_id": report.collection_id})
    return found, chunks
