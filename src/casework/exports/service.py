"""Exports: ask for one, follow it, download it, delete it; the builder's and the retention
job's bookkeeping. Plain functions that flush and never commit."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.collections.models import Collection
from casework.core.database import after_commit, transaction, utcnow
from casework.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    RateLimited,
    ServiceUnavailable,
)
from casework.core.origin import RequestOrigin
from casework.core.scoping import get_scoped, scoped
from casework.core.settings import Settings
from casework.documents.models import Document
from casework.exports.job_kinds import BUILD_EXPORT
from casework.exports.models import Export, ExportPart, ExportStatus
from casework.exports.signing import SigningKey, SigningKeyError, load_signing_key
from casework.jobs import service as jobs_service
from casework.jobs.models import JobPriority
from casework.runtime import Runtime
from casework.webhooks import service as webhooks_service
from casework.webhooks.events import WebhookEvent
from casework.workspaces.models import Workspace

MAX_SELECTION = 10_000
EXPIRED_BATCH = 500


def blob_key(workspace_id: str, export_id: str) -> str:
    return f"{workspace_id}/exports/{export_id}.zip"


def expires_at(export: Export, settings: Settings) -> datetime:
    """When the retention job removes it."""
    return export.created_at + timedelta(days=settings.export_retention_days)


def create_export(*, session: Session, runtime: Runtime, principal: Principal,
                  collection_id: str, include: list[ExportPart], strip_gps: bool,
                  document_ids: list[str] | None = None) -> Export:
    """Queue an archive of the collection (or of `document_ids` in it), audited.

    The job carries the export's id only; it starts once this transaction commits.
    """
    workspace_id = principal.workspace_id
    collection = get_scoped(session, Collection, workspace_id, collection_id, noun="collection")
    if not include:
        raise InvalidInput("include at least one of: originals, text, metadata, report")
    if document_ids is not None:
        document_ids = list(dict.fromkeys(document_ids))
        if not document_ids:
            raise InvalidInput("select at least one document")
        found = set(session.scalars(select(Document.id).where(
            Document.workspace_id == workspace_id, Document.collection_id == collection.id,
            Document.id.in_(document_ids))))
        missing = [i for i in document_ids if i not in found]
        if missing:
            raise NotFound(f"{len(missing)} selected document(s) not found in this "
                           "collection", details={"document_ids": missing[:20]})
    pending = session.scalar(select(func.count()).select_from(
        scoped(Export, workspace_id).where(
            Export.status.in_([ExportStatus.queued, ExportStatus.running])).subquery())) or 0
    limit = runtime.settings.export_max_pending
    if pending >= limit:
        raise RateLimited(f"{pending} exports of this workspace are still being built (the "
                          f"limit is {limit}): try again when one has finished")
    export = Export(workspace_id=workspace_id, collection_id=collection.id,
                    requested_by_user_id=principal.user_id,
                    requested_by_label=principal.label,
                    include=[str(part) for part in ExportPart if part in include],
                    strip_gps=strip_gps, document_ids=document_ids)
    session.add(export)
    session.flush()
    job = jobs_service.enqueue(session=session, kind=BUILD_EXPORT,
                               payload={"export_id": export.id}, workspace_id=workspace_id,
                               # A person is waiting, but for minutes: behind uploads' text.
                               priority=JobPriority.derived,
                               max_attempts=runtime.settings.job_max_attempts,
                               notify=runtime.notify_jobs)
    export.job_id = job.id
    audit.record_by(session=session, principal=principal, action="export.create",
                    target_type="export", target_id=export.id,
                    details={"collection_id": collection.id, "include": export.include,
                             "strip_gps": strip_gps,
                             "documents": len(document_ids) if document_ids else "all"})
    session.flush()
    return export


def installation_key(settings: Settings) -> SigningKey:
    """The signing key, or 503 naming the problem (a broken EXPORT_SIGNING_KEY)."""
    try:
        return load_signing_key(settings)
    except (SigningKeyError, ValueError) as exc:
        raise ServiceUnavailable(f"the export signing key cannot be used: {exc}") from None


def get_export(*, session: Session, workspace_id: str, export_id: str) -> Export:
    return get_scoped(session, Export, workspace_id, export_id, noun="export")


def list_exports(*, session: Session, workspace_id: str, collection_id: str, limit: int,
                 offset: int) -> tuple[list[Export], int]:
    """A collection's exports, newest first."""
    get_scoped(session, Collection, workspace_id, collection_id, noun="collection")
    query = scoped(Export, workspace_id).where(Export.collection_id == collection_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Export.created_at.desc(), Export.id)
                           .limit(limit).offset(offset))
    return list(rows), total


def delete_export(*, session: Session, runtime: Runtime, principal: Principal,
                  export_id: str) -> None:
    """Remove the row now and the archive after the commit; a build still running notices
    at its next progress report and stops."""
    export = get_export(session=session, workspace_id=principal.workspace_id,
                        export_id=export_id)
    _remove(session=session, runtime=runtime, export=export)
    audit.record_by(session=session, principal=principal, action="export.delete",
                    target_type="export", target_id=export_id)


def delete_collection_exports(*, session: Session, runtime: Runtime, workspace_id: str,
                              collection_id: str) -> int:
    """A deleted collection takes its exports along: each is a copy of its documents."""
    exports = list(session.scalars(scoped(Export, workspace_id).where(
        Export.collection_id == collection_id)))
    for export in exports:
        _remove(session=session, runtime=runtime, export=export)
    return len(exports)


def _remove(*, session: Session, runtime: Runtime, export: Export) -> None:
    key = blob_key(export.workspace_id, export.id)
    if export.job_id is not None and export.status in (ExportStatus.queued,
                                                       ExportStatus.running):
        jobs_service.cancel_job(session=session, workspace_id=export.workspace_id,
                                job_id=export.job_id, reason="cancelled: the export was deleted")
    session.delete(export)
    session.flush()
    after_commit(session, lambda: runtime.blobs.delete(key))


def get_finished_export(*, session: Session, workspace_id: str, export_id: str) -> Export:
    """The export, if its archive is ready to download (409 while it is being built)."""
    export = get_export(session=session, workspace_id=workspace_id, export_id=export_id)
    if export.status != ExportStatus.succeeded or export.blob_key is None:
        raise Conflict(f"this export is {export.status}, not ready to download")
    return export


def download_name(*, session: Session, export: Export) -> str:
    """casework-export-<collection>-<date>.zip, the collection's name made file-safe."""
    collection = session.get(Collection, export.collection_id)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", collection.name if collection else "").strip("-.")
    return f"casework-export-{stem[:60] or 'collection'}-{export.created_at:%Y%m%d-%H%M}.zip"


def audit_download(*, runtime: Runtime, export: Export, actor: str,
                   origin: RequestOrigin) -> bool:
    """`export.download` by whoever the link was issued to (`user:<id>` / `key:<id>`), once
    per link holder and export per DOWNLOAD_AUDIT_WINDOW_SECONDS (a resumed download asks
    for many ranges); in its own transaction, as the download reads through a read-only
    one. True when this request wrote the event."""
    if not runtime.limiter.first_in_window(
            "audit-export-download", f"{actor}|{export.id}",
            window_seconds=runtime.settings.download_audit_window_seconds):
        return False
    kind, _, actor_id = actor.partition(":")
    with transaction(runtime.sessions) as session:
        audit.record(session=session, action="export.download", origin=origin,
                     workspace_id=export.workspace_id,
                     actor_user_id=actor_id if kind == "user" else None,
                     actor_api_key_id=actor_id if kind == "key" else None,
                     actor_label=f"download link of {actor}", target_type="export",
                     target_id=export.id, details={"collection_id": export.collection_id,
                                                   "size_bytes": export.size_bytes})
    return True


# --- the builder's bookkeeping -------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class BuildPlan:
    export_id: str
    workspace_id: str
    workspace_name: str
    collection_id: str
    collection_name: str
    collection_reference: str | None
    collection_kind: str
    include: list[str]
    strip_gps: bool
    document_ids: list[str] | None
    created_at: datetime


def start_build(*, session: Session, workspace_id: str, export_id: str) -> BuildPlan | None:
    """Mark the export running (again, on a retry) and say what to build; None when it was
    deleted while queued."""
    export = session.scalars(scoped(Export, workspace_id).where(Export.id == export_id)).first()
    if export is None:
        return None
    collection = session.get(Collection, export.collection_id)
    workspace = session.get(Workspace, workspace_id)
    if collection is None or workspace is None:
        return None
    export.status = ExportStatus.running
    export.files_done = export.bytes_done = 0
    export.error = None
    session.flush()
    return BuildPlan(export_id=export.id, workspace_id=workspace_id,
                     workspace_name=workspace.name, collection_id=collection.id,
                     collection_name=collection.name, collection_reference=collection.reference,
                     collection_kind=str(collection.kind), include=list(export.include),
                     strip_gps=export.strip_gps,
                     document_ids=list(export.document_ids) if export.document_ids is not None
                     else None, created_at=export.created_at)


def set_totals(*, session: Session, workspace_id: str, export_id: str, files: int,
               bytes_: int) -> bool:
    export = _find(session, workspace_id, export_id)
    if export is None:
        return False
    export.files_total, export.bytes_total = files, bytes_
    session.flush()
    return True


def record_progress(*, session: Session, workspace_id: str, export_id: str, files: int,
                    bytes_: int) -> bool:
    """False when the export was deleted meanwhile: the builder stops."""
    export = _find(session, workspace_id, export_id)
    if export is None:
        return False
    export.files_done, export.bytes_done = files, bytes_
    session.flush()
    return True


def finish_build(*, session: Session, workspace_id: str, export_id: str, size: int,
                 sha256: str, fingerprint: str, files: int, warnings: list[dict[str, Any]],
                 notify: Callable[[int], None] | None = None) -> bool:
    """Record the archive as ready and announce `export.ready` to the workspace's webhooks,
    in one transaction; False when the export was deleted while it was built (the caller
    then removes the archive it wrote)."""
    export = _find(session, workspace_id, export_id)
    if export is None:
        return False
    export.status = ExportStatus.succeeded
    export.blob_key = blob_key(workspace_id, export_id)
    export.size_bytes, export.sha256, export.key_fingerprint = size, sha256, fingerprint
    export.files_done = export.files_total = files
    export.bytes_done = export.bytes_total
    export.warnings = warnings
    export.finished_at = utcnow()
    session.flush()
    # No download link in it: a link names whom it was issued to; the receiver asks
    # GET /api/v1/exports/{id} with its own key for one.
    webhooks_service.emit(session=session, workspace_id=workspace_id,
                          event=WebhookEvent.export_ready, notify=notify,
                          payload={"export_id": export.id, "collection_id": export.collection_id,
                                   "url": f"/api/v1/exports/{export.id}", "size_bytes": size,
                                   "sha256": sha256, "key_fingerprint": fingerprint,
                                   "files": files, "omitted": len(warnings)})
    return True


def fail_build(*, session: Session, workspace_id: str, export_id: str, error: str) -> None:
    export = _find(session, workspace_id, export_id)
    if export is not None:
        export.status = ExportStatus.failed
        export.error = error[:2000]
        export.finished_at = utcnow()
        session.flush()


def _find(session: Session, workspace_id: str, export_id: str) -> Export | None:
    return session.scalars(scoped(Export, workspace_id).where(Export.id == export_id)).first()


# --- retention -----------------------------------------------------------------------------

def expired_exports(*, session: Session, older_than: datetime,
                    limit: int = EXPIRED_BATCH) -> list[tuple[str, str]]:
    """(workspace id, export id) of exports created before `older_than`, in every workspace:
    retention is the installation's rule, run by a job that acts for no workspace."""
    rows = session.execute(select(Export.workspace_id, Export.id)
                           .where(Export.created_at < older_than)
                           .order_by(Export.created_at).limit(limit))
    return [(workspace_id, export_id) for workspace_id, export_id in rows]


def forget_export(*, session: Session, workspace_id: str, export_id: str) -> bool:
    """Delete the row (the retention job removed its archive first)."""
    export = _find(session, workspace_id, export_id)
    if export is None:
        return False
    session.delete(export)
    session.flush()
    return True
