"""Placing, releasing and listing legal holds, and the guard every deletion path calls
before it removes a document: while an active hold covers one, nothing is deleted.

What a hold covers:
- a collection hold: the documents of that collection, and any document whose bytes also
  arrived in it (a duplicate upload is one document with a second file location);
- a custodian hold: every document with a file location naming that custodian (compared
  case-insensitively, as the database lowers text);
- either way, the attachments of a covered document, however deep (an e-mail's zip's
  memo), since they are the same evidence.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import Select, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.collections.models import Collection
from casework.core.database import utcnow
from casework.core.errors import Conflict, InvalidInput
from casework.core.scoping import get_scoped, scoped
from casework.custody.models import DocumentLocation
from casework.documents.models import Document
from casework.holds.models import HoldScope, LegalHold

MAX_NAME = 200
MAX_TEXT = 1000
MAX_ACTIVE_HOLDS = 500  # per workspace: every deletion checks each active hold
MAX_LISTED = 1000


class LegalHoldActive(Conflict):
    """A deletion refused because an active legal hold covers what it would remove."""

    code = "legal_hold"


@dataclass(frozen=True, slots=True)
class HoldTarget:
    """Exactly one of the two: the collection to hold, or the custodian's name."""

    collection_id: str | None = None
    custodian: str | None = None


def clean_text(value: str | None, *, field: str, limit: int, required: bool = True) -> str:
    """Trimmed NFC text, refused when too long or holding control characters (a name or
    reason forging lines in the audit log's CSV)."""
    value = unicodedata.normalize("NFC", value or "").strip()
    if required and not value:
        raise InvalidInput(f"{field} is required", details={"field": field})
    if len(value) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters",
                           details={"field": field, "limit": limit})
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        raise InvalidInput(f"{field} holds control characters", details={"field": field})
    return value


def place_hold(*, session: Session, principal: Principal, name: str, matter: str,
               target: HoldTarget) -> LegalHold:
    """A new active hold, audited as `hold.place` in the same transaction."""
    workspace_id = principal.workspace_id
    if (target.collection_id is None) == (target.custodian is None):
        raise InvalidInput("a hold is on a collection or on a custodian: give exactly one "
                           "of collection_id and custodian")
    active = session.scalar(select(func.count()).select_from(LegalHold).where(
        LegalHold.workspace_id == workspace_id, LegalHold.released_at.is_(None))) or 0
    if active >= MAX_ACTIVE_HOLDS:
        raise Conflict(f"this workspace has {active} active holds, the most allowed")
    hold = LegalHold(workspace_id=workspace_id,
                     name=clean_text(name, field="name", limit=MAX_NAME),
                     matter=clean_text(matter, field="matter", limit=MAX_TEXT),
                     created_by_user_id=principal.user_id,
                     created_by_label=(principal.label or "")[:320] or None)
    if target.collection_id is not None:
        collection = get_scoped(session, Collection, workspace_id, target.collection_id,
                                noun="collection")
        hold.scope, hold.collection_id = HoldScope.collection, collection.id
        hold.target_label = collection.name[:MAX_NAME]
    else:
        hold.scope = HoldScope.custodian
        hold.target_label = clean_text(target.custodian, field="custodian", limit=MAX_NAME)
    session.add(hold)
    session.flush()
    audit.record_by(session=session, principal=principal, action="hold.place",
                    target_type="hold", target_id=hold.id,
                    details={"name": hold.name, "matter": hold.matter, "scope": hold.scope,
                             "collection_id": hold.collection_id,
                             "target": hold.target_label})
    return hold


def release_hold(*, session: Session, principal: Principal, hold_id: str,
                 reason: str) -> LegalHold:
    """Release an active hold (it stays listed, released); audited as `hold.release`."""
    hold = get_hold(session=session, workspace_id=principal.workspace_id, hold_id=hold_id)
    if not hold.active:
        raise Conflict("this hold was already released")
    hold.release_reason = clean_text(reason, field="reason", limit=MAX_TEXT)
    hold.released_at = utcnow()
    hold.released_by_user_id = principal.user_id
    hold.released_by_label = (principal.label or "")[:320] or None
    session.flush()
    audit.record_by(session=session, principal=principal, action="hold.release",
                    target_type="hold", target_id=hold.id,
                    details={"name": hold.name, "scope": hold.scope,
                             "collection_id": hold.collection_id,
                             "target": hold.target_label, "reason": hold.release_reason})
    return hold


def get_hold(*, session: Session, workspace_id: str, hold_id: str) -> LegalHold:
    return get_scoped(session, LegalHold, workspace_id, hold_id, noun="hold")


def list_holds(*, session: Session, workspace_id: str,
               active: bool | None = None) -> list[LegalHold]:
    """Active holds first, then released ones; newest first within each."""
    query = scoped(LegalHold, workspace_id)
    if active is not None:
        query = query.where(LegalHold.released_at.is_(None) if active
                            else LegalHold.released_at.is_not(None))
    return list(session.scalars(query.order_by(
        LegalHold.released_at.is_not(None), LegalHold.created_at.desc(), LegalHold.id)
        .limit(MAX_LISTED)))


# --- what a hold covers ------------------------------------------------------------------

def _active_holds(session: Session, workspace_id: str) -> list[LegalHold]:
    return list(session.scalars(scoped(LegalHold, workspace_id).where(
        LegalHold.released_at.is_(None)).order_by(LegalHold.created_at, LegalHold.id)))


def _lineage(workspace_id: str, candidates: Select[tuple[str]]) -> Select[tuple[str]]:
    """The candidate documents and every document they are attachments of (through the
    document's parent or a file location's), as one recursive query."""
    edges = union_all(
        select(Document.id.label("child"), Document.parent_document_id.label("parent"))
        .where(Document.workspace_id == workspace_id,
               Document.parent_document_id.is_not(None)),
        select(DocumentLocation.document_id.label("child"),
               DocumentLocation.parent_document_id.label("parent"))
        .where(DocumentLocation.workspace_id == workspace_id,
               DocumentLocation.parent_document_id.is_not(None)),
    ).subquery("edges")
    lineage = candidates.cte("lineage", recursive=True)
    lineage = lineage.union(select(edges.c.parent).where(edges.c.child == lineage.c.id))
    return select(lineage.c.id)


def _covers(hold: LegalHold, lineage: Select[tuple[str]]) -> Select[tuple[bool]]:
    """Whether `hold` covers any document of `lineage`, as an EXISTS query."""
    location = DocumentLocation.document_id.in_(lineage)
    if hold.scope == HoldScope.custodian:
        return select(exists().where(
            location, func.lower(DocumentLocation.custodian) == func.lower(
                literal(hold.target_label))))
    return select(or_(
        exists().where(Document.id.in_(lineage), Document.collection_id == hold.collection_id),
        exists().where(location, DocumentLocation.collection_id == hold.collection_id)))


def _refuse(holds: list[LegalHold], what: str) -> None:
    if holds:
        names = ", ".join(repr(h.name) for h in holds[:5])
        raise LegalHoldActive(
            f"{what} is under legal hold ({names}): release the hold before deleting",
            details={"holds": [{"id": h.id, "name": h.name, "scope": h.scope,
                                "target": h.target_label} for h in holds]})


def holds_covering(*, session: Session, workspace_id: str,
                   candidates: Select[tuple[str]]) -> list[LegalHold]:
    """The active holds that cover any of `candidates` (a query of document ids)."""
    active = _active_holds(session, workspace_id)
    if not active:
        return []  # the common case costs one indexed query
    lineage = _lineage(workspace_id, candidates)
    return [hold for hold in active if session.scalar(_covers(hold, lineage))]


def ensure_document_deletable(*, session: Session, workspace_id: str,
                              document_id: str) -> None:
    _refuse(holds_covering_document(session=session, workspace_id=workspace_id,
                                    document_id=document_id), "this document")


def collection_holds(*, session: Session, workspace_id: str,
                     collection_id: str) -> list[LegalHold]:
    """The active holds on the collection itself or on any of its documents. A hold of
    its own counts even when the collection is empty: the hold is an order to keep it."""
    held = [h for h in _active_holds(session, workspace_id) if h.collection_id == collection_id]
    held += holds_covering(session=session, workspace_id=workspace_id, candidates=select(
        Document.id.label("id")).where(Document.workspace_id == workspace_id,
                                       Document.collection_id == collection_id))
    return list({h.id: h for h in held}.values())


def ensure_collection_deletable(*, session: Session, workspace_id: str,
                                collection_id: str) -> None:
    _refuse(collection_holds(session=session, workspace_id=workspace_id,
                             collection_id=collection_id), "this collection")


def ensure_workspace_deletable(*, session: Session, workspace_id: str) -> None:
    """Deleting a workspace deletes all of it: refused while any hold is active."""
    _refuse(_active_holds(session, workspace_id), "this workspace")


def holds_covering_document(*, session: Session, workspace_id: str,
                            document_id: str) -> list[LegalHold]:
    """The active holds covering one document (its deletion, the badge on its page)."""
    return holds_covering(session=session, workspace_id=workspace_id, candidates=select(
        Document.id.label("id")).where(Document.workspace_id == workspace_id,
                                       Document.id == document_id))
