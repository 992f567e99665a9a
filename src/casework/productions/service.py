"""Productions: ask for one (the selection is resolved and ordered now), follow it,
download it, delete it; the builder's bookkeeping. Plain functions that flush, never commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.collections.models import Collection
from casework.core.database import after_commit, utcnow
from casework.core.errors import Conflict, InvalidInput, NotFound
from casework.core.origin import RequestOrigin
from casework.core.scoping import get_scoped, scoped
from casework.documents.models import Document, DocumentStatus
from casework.jobs import service as jobs_service
from casework.jobs.models import JobPriority
from casework.productions.families import complete_families
from casework.productions.job_kinds import BUILD_PRODUCTION
from casework.productions.models import (
    FamilyPolicy,
    NativePolicy,
    Production,
    ProductionStatus,
)
from casework.review import batch
from casework.review.models import DocumentCoding
from casework.runtime import Runtime
from casework.search.filters import SearchFilters

WORKER_ORIGIN = RequestOrigin(ip=None, user_agent="casework-worker", request_id=None)
ID_BATCH = 900  # ids per IN (...): well under SQLite's bound-parameter limit


@dataclass(frozen=True, slots=True)
class Numbering:
    prefix: str
    start: int
    digits: int
    position: str
    legend: str | None
    volume: str


@dataclass(frozen=True, slots=True)
class Selection:
    """Exactly one of: a collection (optionally only documents coded `responsiveness`),
    listed documents, or a search (words and filters, as batch coding takes them)."""

    collection_id: str | None = None
    responsiveness: str | None = None
    document_ids: list[str] | None = None
    search_text: str | None = None
    search_filters: SearchFilters | None = None


def blob_key(workspace_id: str, production_id: str) -> str:
    return f"{workspace_id}/productions/{production_id}.zip"


def _rows(session: Session, workspace_id: str, ids: list[str]) -> Iterator[Any]:
    for at in range(0, len(ids), ID_BATCH):
        yield from session.execute(
            select(Document.id, Document.filename, Document.parent_document_id,
                   Document.status, Collection.name)
            .join(Collection, Collection.id == Document.collection_id)
            .where(Document.workspace_id == workspace_id,
                   Document.id.in_(ids[at:at + ID_BATCH])))


def production_order(*, session: Session, workspace_id: str, ids: list[str]) -> list[str]:
    """Stable order: by collection name, file name (any case), id; each document's
    attachments straight after it (a family takes one contiguous Bates range). An
    attachment whose parent is not produced stands on its own."""
    rows = {row.id: row for row in _rows(session, workspace_id, ids)}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise NotFound(f"{len(missing)} selected document(s) not found",
                       details={"document_ids": missing[:20]})
    pending = [i for i, row in rows.items() if row.status != DocumentStatus.ready]
    if pending:
        raise Conflict(f"{len(pending)} selected document(s) are not ready (still being "
                       "processed, or failed): wait, or leave them out",
                       details={"document_ids": pending[:20]})

    def key(row: Any) -> tuple[str, str, str]:
        return (row.name.casefold(), row.filename.casefold(), row.id)

    children: dict[str, list[Any]] = {}
    roots = []
    for row in rows.values():
        if row.parent_document_id in rows:
            children.setdefault(row.parent_document_id, []).append(row)
        else:
            roots.append(row)
    ordered: list[str] = []

    def visit(row: Any) -> None:
        ordered.append(row.id)
        for child in sorted(children.get(row.id, []), key=key):
            visit(child)

    for root in sorted(roots, key=key):
        visit(root)
    return ordered


def _select(*, session: Session, runtime: Runtime, workspace_id: str,
            selection: Selection, families: FamilyPolicy) -> tuple[list[str], dict[str, Any]]:
    """The selected document ids (with their families when `complete`) and what the
    production records about how."""
    limit = runtime.settings.production_max_documents
    if selection.collection_id is not None:
        collection = get_scoped(session, Collection, workspace_id, selection.collection_id,
                                noun="collection")
        # Documents still being processed are kept, so production_order refuses them (a
        # set silently missing a late document is worse than waiting); failed ones have no
        # pages to produce and are counted out.
        query = select(Document.id).where(Document.workspace_id == workspace_id,
                                          Document.collection_id == collection.id,
                                          Document.status != DocumentStatus.failed)
        if selection.responsiveness is not None:
            query = query.join(DocumentCoding, DocumentCoding.document_id == Document.id) \
                .where(DocumentCoding.responsiveness == selection.responsiveness)
        ids = list(session.scalars(query.limit(limit + 1)))
        failed = session.scalar(select(func.count()).where(
            Document.workspace_id == workspace_id, Document.collection_id == collection.id,
            Document.status == DocumentStatus.failed)) or 0
        record = {"collection_id": collection.id, "collection": collection.name,
                  "responsiveness": selection.responsiveness, "failed_left_out": failed}
    elif selection.document_ids is not None:
        ids = list(dict.fromkeys(selection.document_ids))
        record = {"documents": "listed"}
    else:
        ids = batch.search_documents(session=session, runtime=runtime,
                                     workspace_id=workspace_id, text=selection.search_text,
                                     filters=selection.search_filters or SearchFilters(),
                                     limit=limit, notes=[])
        summary = {k: v for k, v in asdict(selection.search_filters or SearchFilters()).items()
                   if v is not None}
        if selection.search_text:  # as the search log keeps a query: a keyed hash only
            summary["query_hash"] = audit.query_digest(
                key=runtime.settings.secret_key.get_secret_value(), text=selection.search_text)
        record = {"search": summary}
    if not ids:
        raise InvalidInput("the selection holds no document ready to produce")
    if len(ids) > limit:
        raise InvalidInput(f"the selection holds more than {limit} documents "
                           "(PRODUCTION_MAX_DOCUMENTS): narrow it", details={"limit": limit})
    if families == FamilyPolicy.complete:
        ids, record["families"] = complete_families(session=session,
                                                    workspace_id=workspace_id, ids=ids,
                                                    limit=limit)
    else:
        record["families"] = {"policy": families.value}
    return ids, record


def create_production(*, session: Session, runtime: Runtime, principal: Principal, name: str,
                      selection: Selection, numbering: Numbering,
                      natives: NativePolicy = NativePolicy.none,
                      families: FamilyPolicy = FamilyPolicy.complete) -> Production:
    """Resolve and order the selection now (so the set is what the requester saw), queue
    the build, audit `production.create`. `natives` says which documents go out in their
    original form (productions/natives.py); `families`, whether a selected document
    brings its whole family (productions/families.py)."""
    workspace_id = principal.workspace_id
    ids, record = _select(session=session, runtime=runtime, workspace_id=workspace_id,
                          selection=selection, families=families)
    ordered = production_order(session=session, workspace_id=workspace_id, ids=ids)
    production = Production(
        workspace_id=workspace_id, name=name, selection=record, document_ids=ordered,
        bates_prefix=numbering.prefix, start_number=numbering.start, digits=numbering.digits,
        stamp_position=numbering.position, legend=numbering.legend, volume=numbering.volume,
        natives=natives.value, requested_by_user_id=principal.user_id,
        requested_by_label=principal.label)
    session.add(production)
    session.flush()
    job = jobs_service.enqueue(session=session, kind=BUILD_PRODUCTION,
                               payload={"production_id": production.id},
                               workspace_id=workspace_id, priority=JobPriority.derived,
                               max_attempts=runtime.settings.job_max_attempts,
                               notify=runtime.notify_jobs)
    production.job_id = job.id
    audit.record_by(session=session, principal=principal, action="production.create",
                    target_type="production", target_id=production.id,
                    details={"name": name, "documents": len(ordered), "selection": record,
                             "prefix": numbering.prefix, "start": numbering.start,
                             "digits": numbering.digits, "natives": natives.value})
    session.flush()
    return production


def get_production(*, session: Session, workspace_id: str, production_id: str) -> Production:
    return get_scoped(session, Production, workspace_id, production_id, noun="production")


def list_productions(*, session: Session, workspace_id: str, limit: int, offset: int
                     ) -> tuple[list[Production], int]:
    """The workspace's productions, newest first."""
    query = scoped(Production, workspace_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Production.created_at.desc(), Production.id)
                           .limit(limit).offset(offset))
    return list(rows), total


def delete_production(*, session: Session, runtime: Runtime, principal: Principal,
                      production_id: str) -> None:
    """The row now, the archive after the commit; a build still running stops at its next
    progress report."""
    production = get_production(session=session, workspace_id=principal.workspace_id,
                                production_id=production_id)
    if production.job_id is not None and production.status in (ProductionStatus.queued,
                                                                ProductionStatus.running):
        jobs_service.cancel_job(session=session, workspace_id=production.workspace_id,
                                job_id=production.job_id,
                                reason="cancelled: the production was deleted")
    key = blob_key(production.workspace_id, production.id)
    session.delete(production)
    session.flush()
    after_commit(session, lambda: runtime.blobs.delete(key))
    audit.record_by(session=session, principal=principal, action="production.delete",
                    target_type="production", target_id=production_id)


def open_download(*, session: Session, runtime: Runtime, principal: Principal,
                  production_id: str) -> tuple[Production, Iterator[bytes]]:
    """The finished archive's bytes; audited `production.download`."""
    production = get_production(session=session, workspace_id=principal.workspace_id,
                                production_id=production_id)
    if production.status != ProductionStatus.succeeded or production.blob_key is None:
        raise Conflict(f"this production is {production.status}, not ready to download")
    chunks = runtime.blobs.open_chunks(production.blob_key)
    audit.record_read(sessions=runtime.sessions, principal=principal,
                      action="production.download", target_type="production",
                      target_id=production.id, details={"sha256": production.sha256,
                                                        "size_bytes": production.size_bytes})
    return production, chunks


def download_name(production: Production) -> str:
    """<name>-<first Bates>-<last Bates>.zip, made file-safe."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", production.name).strip("-.")[:60] or "production"
    return f"{stem}-{production.first_bates}-{production.last_bates}.zip"


# --- the builder's bookkeeping -------------------------------------------------------------

def find(session: Session, workspace_id: str, production_id: str) -> Production | None:
    return session.scalars(scoped(Production, workspace_id).where(
        Production.id == production_id)).first()


def start_build(*, session: Session, workspace_id: str, production_id: str
                ) -> Production | None:
    production = find(session, workspace_id, production_id)
    if production is None:
        return None
    production.status = ProductionStatus.running
    production.documents_done = 0
    production.error = None
    session.flush()
    return production


def record_progress(*, session: Session, workspace_id: str, production_id: str,
                    documents: int) -> bool:
    """False when the production was deleted meanwhile: the builder stops."""
    production = find(session, workspace_id, production_id)
    if production is None:
        return False
    production.documents_done = documents
    session.flush()
    return True


def finish_build(*, session: Session, workspace_id: str, production_id: str,
                 result: dict[str, Any]) -> bool:
    """Record the archive as ready and audit `production.produce`; False when the
    production was deleted while it was built."""
    production = find(session, workspace_id, production_id)
    if production is None:
        return False
    production.status = ProductionStatus.succeeded
    production.blob_key = blob_key(workspace_id, production_id)
    for name in ("size_bytes", "sha256", "produced_count", "withheld_count", "native_count",
                 "page_count", "first_bates", "last_bates"):
        setattr(production, name, result[name])
    production.documents_done = len(production.document_ids)
    production.finished_at = utcnow()
    session.flush()
    # In the name of whoever asked for it, as the request would have been.
    audit.record(session=session, action="production.produce", origin=WORKER_ORIGIN,
                 workspace_id=workspace_id, actor_user_id=production.requested_by_user_id,
                 actor_label=production.requested_by_label,
                 target_type="production", target_id=production_id,
                 details={key: result[key] for key in sorted(result)
                          if key not in ("redacted_ids", "withheld_ids")}
                 | {"redacted": result["redacted_ids"], "withheld": result["withheld_ids"]})
    return True


def fail_build(*, session: Session, workspace_id: str, production_id: str,
               error: str) -> None:
    production = find(session, workspace_id, production_id)
    if production is not None:
        production.status = ProductionStatus.failed
        production.error = error[:2000]
        production.finished_at = utcnow()
        session.flush()
