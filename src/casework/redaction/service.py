"""A document's redactions: drawing one, accepting search hits, listing, deleting, and
the redaction log (document, page, reason, who, when, region) as JSON or CSV."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.collections import service as collections_service
from casework.core.errors import InvalidInput, NotFound
from casework.core.scoping import get_scoped, scoped
from casework.documents import service as documents_service
from casework.documents.models import Document
from casework.redaction.models import Redaction
from casework.redaction.reasons import check_reason

PDF = "application/pdf"
MAX_PER_DOCUMENT = 5000
MAX_PER_REQUEST = 500
MIN_SIDE = 0.001  # a box thinner than this (of the page) hides nothing
LOG_COLUMNS = ("document_id", "filename", "page", "reason", "source", "found_by",
               "created_by", "created_at", "x0", "y0", "x1", "y1", "redaction_id")
MAX_LOG_ROWS = 100_000


@dataclass(frozen=True, slots=True)
class NewRedaction:
    """A box to add: normalised 0..1 coordinates, origin top left of the shown page."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    reason: str
    source: str = "region"
    found_by: str | None = None


def redactable_document(*, session: Session, workspace_id: str, document_id: str) -> Document:
    """The document, if it is a PDF (only PDF pages can be redacted for now)."""
    document = documents_service.get_document(session=session, workspace_id=workspace_id,
                                              document_id=document_id)
    if document.media_type != PDF:
        raise InvalidInput("only PDF documents can be redacted",
                           details={"media_type": document.media_type})
    return document


def _checked_box(item: NewRedaction, document: Document) -> tuple[float, float, float, float]:
    x0, x1 = sorted((item.x0, item.x1))
    y0, y1 = sorted((item.y0, item.y1))
    if not all(0.0 <= v <= 1.0 for v in (x0, y0, x1, y1)):
        raise InvalidInput("box coordinates are fractions of the page, 0 to 1")
    if x1 - x0 < MIN_SIDE or y1 - y0 < MIN_SIDE:
        raise InvalidInput("the box is too small to hide anything")
    if item.page < 1 or (document.page_count is not None and item.page > document.page_count):
        raise InvalidInput(f"the document has no page {item.page}",
                           details={"page_count": document.page_count})
    return x0, y0, x1, y1


def add_redactions(*, session: Session, principal: Principal, document_id: str,
                   items: list[NewRedaction]) -> list[Redaction]:
    """Add boxes (a drawn region, or accepted search hits), audited one event per call."""
    workspace_id = principal.workspace_id
    document = redactable_document(session=session, workspace_id=workspace_id,
                                   document_id=document_id)
    if not items or len(items) > MAX_PER_REQUEST:
        raise InvalidInput(f"send 1 to {MAX_PER_REQUEST} redactions at once")
    existing = session.scalar(select(func.count()).select_from(scoped(
        Redaction, workspace_id).where(Redaction.document_id == document.id).subquery())) or 0
    if existing + len(items) > MAX_PER_DOCUMENT:
        raise InvalidInput(f"a document has at most {MAX_PER_DOCUMENT} redactions")
    reasons: dict[str, str] = {}
    rows = []
    for item in items:
        x0, y0, x1, y1 = _checked_box(item, document)
        if item.reason not in reasons:
            reasons[item.reason] = check_reason(session=session, workspace_id=workspace_id,
                                                label=item.reason)
        rows.append(Redaction(
            workspace_id=workspace_id, document_id=document.id, page=item.page,
            x0=x0, y0=y0, x1=x1, y1=y1, reason=reasons[item.reason], source=item.source,
            found_by=item.found_by, created_by_user_id=principal.user_id,
            created_by_label=principal.label))
    session.add_all(rows)
    session.flush()
    audit.record_by(session=session, principal=principal, action="redaction.create",
                    target_type="document", target_id=document.id,
                    details={"count": len(rows), "pages": sorted({r.page for r in rows}),
                             "reasons": sorted({r.reason for r in rows}),
                             "redaction_ids": [r.id for r in rows[:50]],
                             "source": sorted({r.source for r in rows})})
    return rows


def list_redactions(*, session: Session, workspace_id: str, document_id: str
                    ) -> list[Redaction]:
    document = documents_service.get_document(session=session, workspace_id=workspace_id,
                                              document_id=document_id)
    return list(session.scalars(scoped(Redaction, workspace_id).where(
        Redaction.document_id == document.id).order_by(
        Redaction.page, Redaction.created_at, Redaction.id).limit(MAX_PER_DOCUMENT)))


def delete_redaction(*, session: Session, principal: Principal, document_id: str,
                     redaction_id: str) -> None:
    redaction = get_scoped(session, Redaction, principal.workspace_id, redaction_id,
                           noun="redaction")
    if redaction.document_id != document_id:
        raise NotFound("redaction not found")
    audit.record_by(session=session, principal=principal, action="redaction.delete",
                    target_type="document", target_id=redaction.document_id,
                    details={"redaction_id": redaction.id, "page": redaction.page,
                             "reason": redaction.reason, "region": region(redaction)})
    session.delete(redaction)
    session.flush()


def region(redaction: Redaction) -> list[float]:
    return [round(v, 5) for v in (redaction.x0, redaction.y0, redaction.x1, redaction.y1)]


def fingerprint(redactions: list[Redaction]) -> str:
    """What a redacted copy was drawn from: its boxes, in order. Reasons are not in it (a
    new reason changes the log, not the picture)."""
    boxes = sorted((r.page, *region(r)) for r in redactions)
    return hashlib.sha256(json.dumps(boxes).encode()).hexdigest()


# --- the redaction log -----------------------------------------------------------------

def log_rows(*, session: Session, workspace_id: str, document_id: str | None = None,
             collection_id: str | None = None) -> list[dict[str, Any]]:
    """One row per redaction of a document, or of every document of a collection."""
    query = scoped(Redaction, workspace_id).join(
        Document, (Document.id == Redaction.document_id)
        & (Document.workspace_id == workspace_id)).add_columns(Document.filename)
    if document_id is not None:
        document = documents_service.get_document(session=session, workspace_id=workspace_id,
                                                  document_id=document_id)
        query = query.where(Redaction.document_id == document.id)
    if collection_id is not None:
        collection = collections_service.get_collection(
            session=session, workspace_id=workspace_id, collection_id=collection_id)
        query = query.where(Document.collection_id == collection.id)
    rows = session.execute(query.order_by(Document.filename, Redaction.document_id,
                                          Redaction.page, Redaction.created_at)
                           .limit(MAX_LOG_ROWS)).all()
    return [{"document_id": r.document_id, "filename": filename, "page": r.page,
             "reason": r.reason, "source": r.source, "found_by": r.found_by,
             "created_by": r.created_by_label, "created_at": r.created_at.isoformat(),
             "x0": round(r.x0, 5), "y0": round(r.y0, 5), "x1": round(r.x1, 5),
             "y1": round(r.y1, 5), "redaction_id": r.id} for r, filename in rows]


def log_csv(rows: list[dict[str, Any]]) -> str:
    """The log as CSV; a cell starting like a formula is prefixed with ' so a spreadsheet
    shows it rather than runs it (a file name is the uploader's to choose)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=LOG_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("'" + v if isinstance(v, str) and v[:1] in "=+-@\t\r" else v)
                         for k, v in row.items()})
    return out.getvalue()
