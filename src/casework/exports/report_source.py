"""Which case report an export carries when `report` is asked for: the collection's latest
ready one (reports/), its PDF, HTML and inventory CSV, under `report/` in the ZIP.

Read from the report table directly, not through reports/service.py: that service reads
collections through collections/service.py, which deletes a collection's exports through
this domain, and the import would go round in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from casework.core.scoping import scoped
from casework.reports.models import Report, ReportStatus


@dataclass(frozen=True, slots=True)
class ReportFile:
    name: str  # member name under report/: report.pdf, report.html, inventory.csv
    key: str  # where the blob store keeps it
    sha256: str  # recorded when the report was written: the export checks the bytes
    size: int


@dataclass(frozen=True, slots=True)
class IncludedReport:
    report_id: str
    generated_at: datetime | None
    inventory_sha256: str | None
    files: list[ReportFile]


def latest_report(*, session: Session, workspace_id: str,
                  collection_id: str) -> IncludedReport | None:
    """The collection's most recent ready report, or None when it has none."""
    report = session.scalars(scoped(Report, workspace_id).where(
        Report.collection_id == collection_id, Report.status == ReportStatus.ready,
    ).order_by(Report.created_at.desc(), Report.id.desc())).first()
    if report is None:
        return None
    candidates = (("report.pdf", report.pdf_key, report.pdf_sha256, report.pdf_size),
                  ("report.html", report.html_key, report.html_sha256, report.html_size),
                  ("inventory.csv", report.inventory_key, report.inventory_sha256,
                   report.inventory_size))
    files = [ReportFile(name, key, sha256, size) for name, key, sha256, size in candidates
             if key is not None and sha256 is not None and size is not None]
    return IncludedReport(report_id=report.id, generated_at=report.generated_at,
                          inventory_sha256=report.inventory_sha256, files=files)
