"""The generate_report job: read the collection, render HTML and PDF, store them with the
inventory CSV, record `report.generate` (with the files' SHA-256) in the audit log and
announce `report.ready` to the workspace's webhooks.

The content is read in one read transaction, rendered outside any, and the files are
stored before the row says `ready`; a rerun after a crash writes the same keys again. The
generation time is taken once per attempt, so a report's files always agree with it.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from casework.audit import service as audit
from casework.core.database import transaction, utcnow
from casework.core.errors import CaseworkError
from casework.core.origin import RequestOrigin
from casework.core.scoping import find_scoped
from casework.jobs.handlers import JobContext, PermanentJobError
from casework.reports.content import ReportContent, build_content
from casework.reports.html import content_digest, render_html
from casework.reports.models import Report, ReportStatus
from casework.reports.pdf import render_pdf
from casework.storage.blobstore import report_key
from casework.webhooks import service as webhooks_service
from casework.webhooks.events import WebhookEvent

log = logging.getLogger(__name__)
WORKER_ORIGIN = RequestOrigin(ip=None, user_agent="casework-worker", request_id=None)


def _record(session: Any, report: Report, *, outcome: str, details: dict[str, Any]) -> None:
    """The event names who asked for the report, as the request would have."""
    audit.record(session=session, action="report.generate", origin=WORKER_ORIGIN,
                 workspace_id=report.workspace_id, actor_user_id=report.created_by,
                 actor_api_key_id=report.created_by_api_key,
                 actor_label=report.created_by_label, outcome=outcome, target_type="report",
                 target_id=report.id, details={"collection_id": report.collection_id,
                                               **details})


def _read(ctx: JobContext, report_id: str) -> tuple[Report, ReportContent] | None:
    runtime, workspace_id = ctx.runtime, ctx.workspace_id or ""
    with transaction(runtime.sessions) as session:
        report = find_scoped(session, Report, workspace_id, report_id)
        if report is None or report.status == ReportStatus.ready:
            return None  # its collection was deleted, or an earlier attempt finished
        report.status = ReportStatus.running
        session.flush()
    with transaction(runtime.read_sessions) as session:
        if session.get_bind().dialect.name == "postgresql":
            # One snapshot for every section, as SQLite's read transaction has: documents
            # arriving meanwhile are in all of them or in none.
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        try:
            content = build_content(session=session, workspace_id=workspace_id,
                                    collection_id=report.collection_id)
        except CaseworkError as exc:
            raise PermanentJobError(exc.message) from exc
    return report, content


def generate_report(ctx: JobContext) -> None:
    runtime = ctx.runtime
    read = _read(ctx, ctx.payload["report_id"])
    if read is None:
        return
    report, content = read
    generated_at = utcnow().replace(microsecond=0)
    html = render_html(content, generated_at=generated_at)
    ctx.report_progress(0.3)
    pdf = render_pdf(content, generated_at=generated_at)
    ctx.report_progress(0.9)
    files = {name: report_key(report.workspace_id, report.collection_id, report.id, name)
             for name in ("report.pdf", "report.html", "inventory.csv")}
    for name, data in (("report.pdf", pdf), ("report.html", html),
                       ("inventory.csv", content.inventory_csv)):
        runtime.blobs.put_bytes(files[name], data)
    digests = {"sha256": hashlib.sha256(pdf).hexdigest(),
               "html_sha256": hashlib.sha256(html).hexdigest(),
               "inventory_sha256": content.inventory_sha256,
               "content_sha256": content_digest(html)}
    with transaction(runtime.sessions) as session:
        row = find_scoped(session, Report, report.workspace_id, report.id)
        if row is None:  # the collection went while this ran: so do the files
            for key in files.values():
                runtime.blobs.delete(key)
            return
        row.status, row.error = ReportStatus.ready, None
        row.generated_at, row.as_of = generated_at, content.as_of
        row.document_count = content.summary.documents
        row.pdf_key, row.pdf_sha256, row.pdf_size = (files["report.pdf"], digests["sha256"],
                                                     len(pdf))
        row.html_key, row.html_sha256, row.html_size = (
            files["report.html"], digests["html_sha256"], len(html))
        row.inventory_key, row.inventory_size = (files["inventory.csv"],
                                                 len(content.inventory_csv))
        row.inventory_sha256 = content.inventory_sha256
        row.content_sha256 = digests["content_sha256"]
        session.flush()
        _record(session, row, outcome="ok", details={
            **digests, "pdf_size": len(pdf), "html_size": len(html),
            "documents": content.summary.documents,
            "generated_at": generated_at.isoformat()})
        webhooks_service.emit(
            session=session, workspace_id=row.workspace_id, event=WebhookEvent.report_ready,
            payload={"report_id": row.id, "collection_id": row.collection_id,
                     "documents": content.summary.documents, **digests,
                     "generated_at": generated_at.isoformat(),
                     "url": f"/api/v1/reports/{row.id}"},
            notify=runtime.notify_jobs)
    log.info("report %s: %d documents, PDF %d bytes, HTML %d bytes", report.id,
             content.summary.documents, len(pdf), len(html))


def report_failed(ctx: JobContext, reason: str) -> None:
    """The job failed for good: the row says why, and the audit log that it failed."""
    with transaction(ctx.runtime.sessions) as session:
        row = find_scoped(session, Report, ctx.workspace_id or "", ctx.payload["report_id"])
        if row is None:
            return
        row.status, row.error = ReportStatus.failed, reason[:2000]
        session.flush()
        _record(session, row, outcome="failed", details={"error": reason[:500]})
