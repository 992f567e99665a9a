"""Review coding: issues of the workspace, reading and changing documents' coding. Every
change of a field adds a coding history row; the caller's audit event says who did it."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.core.database import utcnow
from casework.core.errors import Conflict, InvalidInput, NotFound
from casework.core.scoping import get_scoped, scoped
from casework.documents.models import Document
from casework.review.coding import FIELDS, Coding, CodingEdit, as_text
from casework.review.models import CodingChange, DocumentCoding, DocumentIssue, ReviewIssue
from casework.search.cache import mark_changed

MAX_ISSUE_NAME = 100
MAX_ISSUES = 500  # per workspace
_IN_BATCH = 500  # ids per IN (...) list


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), _IN_BATCH):
        yield ids[start:start + _IN_BATCH]


# --- issues ------------------------------------------------------------------------------

def clean_issue_name(name: str) -> str:
    name = " ".join(unicodedata.normalize("NFC", name).split())
    if not name or len(name) > MAX_ISSUE_NAME:
        raise InvalidInput(f"an issue name has 1 to {MAX_ISSUE_NAME} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise InvalidInput("an issue name holds control characters")
    return name


def list_issues(*, session: Session, workspace_id: str) -> list[tuple[ReviewIssue, int]]:
    """The workspace's issues by name, each with how many documents carry it."""
    counts = dict(session.execute(
        select(DocumentIssue.issue_id, func.count()).where(
            DocumentIssue.workspace_id == workspace_id).group_by(DocumentIssue.issue_id)).all())
    issues = session.scalars(scoped(ReviewIssue, workspace_id).order_by(ReviewIssue.name))
    return [(issue, counts.get(issue.id, 0)) for issue in issues]


def _same_name(session: Session, workspace_id: str, name: str) -> ReviewIssue | None:
    return session.scalars(scoped(ReviewIssue, workspace_id).where(
        func.lower(ReviewIssue.name) == name.lower())).first()


def create_issue(*, session: Session, principal: Principal, name: str) -> ReviewIssue:
    workspace_id = principal.workspace_id
    name = clean_issue_name(name)
    if _same_name(session, workspace_id, name) is not None:
        raise Conflict(f"the issue {name!r} exists already")
    total = session.scalar(select(func.count()).select_from(ReviewIssue).where(
        ReviewIssue.workspace_id == workspace_id)) or 0
    if total >= MAX_ISSUES:
        raise InvalidInput(f"a workspace has at most {MAX_ISSUES} issues")
    issue = ReviewIssue(workspace_id=workspace_id, name=name)
    session.add(issue)
    session.flush()
    audit.record_by(session=session, principal=principal, action="review.issue_create",
                    target_type="review_issue", target_id=issue.id, details={"name": name})
    return issue


def rename_issue(*, session: Session, principal: Principal, issue_id: str,
                 name: str) -> ReviewIssue:
    """Documents keep the issue (linked by id): their coding history is not touched."""
    issue = get_scoped(session, ReviewIssue, principal.workspace_id, issue_id, noun="issue")
    name = clean_issue_name(name)
    clash = _same_name(session, principal.workspace_id, name)
    if clash is not None and clash.id != issue.id:
        raise Conflict(f"the issue {name!r} exists already")
    old, issue.name = issue.name, name
    session.flush()
    audit.record_by(session=session, principal=principal, action="review.issue_rename",
                    target_type="review_issue", target_id=issue.id,
                    details={"old": old, "new": name})
    return issue


def delete_issue(*, session: Session, principal: Principal, issue_id: str) -> int:
    """Takes the issue off every document, each change in its history; returns how many."""
    issue = get_scoped(session, ReviewIssue, principal.workspace_id, issue_id, noun="issue")
    document_ids = list(session.scalars(select(DocumentIssue.document_id).where(
        DocumentIssue.workspace_id == principal.workspace_id,
        DocumentIssue.issue_id == issue.id)))
    edit = CodingEdit(given=frozenset({"issues"}), remove_issues=(issue.name,))
    changed = _apply(session=session, principal=principal, document_ids=document_ids,
                     edit=edit, batch_id=None)
    session.execute(delete(DocumentIssue).where(DocumentIssue.issue_id == issue.id))
    session.delete(issue)
    session.flush()
    audit.record_by(session=session, principal=principal, action="review.issue_delete",
                    target_type="review_issue", target_id=issue.id,
                    details={"name": issue.name, "documents": changed})
    return changed


def _issues_by_name(session: Session, workspace_id: str,
                    names: Iterable[str]) -> dict[str, ReviewIssue]:
    wanted = {n.lower(): n for n in names}
    if not wanted:
        return {}
    found = {i.name.lower(): i for i in session.scalars(scoped(ReviewIssue, workspace_id).where(
        func.lower(ReviewIssue.name).in_(list(wanted))))}
    missing = sorted(n for key, n in wanted.items() if key not in found)
    if missing:
        raise InvalidInput(f"no such issue: {', '.join(missing[:10])} (create it first)",
                           details={"issues": missing[:10]})
    return {wanted[key]: issue for key, issue in found.items()}


# --- reading -----------------------------------------------------------------------------

def codings(*, session: Session, workspace_id: str, document_ids: list[str]) -> dict[str, Coding]:
    """Every listed document's coding (defaults for the uncoded), in two queries a batch."""
    result = {d: Coding(document_id=d) for d in document_ids}
    for ids in _chunks(list(result)):
        for row in session.scalars(scoped(DocumentCoding, workspace_id).where(
                DocumentCoding.document_id.in_(ids))):
            coding = result[row.document_id]
            coding.responsiveness, coding.privileged = row.responsiveness, row.privileged
            coding.privilege_basis, coding.hot, coding.note = (row.privilege_basis, row.hot,
                                                               row.note)
            coding.updated_at, coding.updated_by = row.updated_at, row.updated_by
        for document_id, name in session.execute(
                select(DocumentIssue.document_id, ReviewIssue.name)
                .join(ReviewIssue, ReviewIssue.id == DocumentIssue.issue_id)
                .where(DocumentIssue.workspace_id == workspace_id,
                       DocumentIssue.document_id.in_(ids)).order_by(ReviewIssue.name)):
            result[document_id].issues.append(name)
    return result


def document_coding(*, session: Session, workspace_id: str, document_id: str) -> Coding:
    get_scoped(session, Document, workspace_id, document_id, noun="document")
    return codings(session=session, workspace_id=workspace_id, document_ids=[document_id])[
        document_id]


def history(*, session: Session, workspace_id: str, document_id: str, limit: int,
            offset: int) -> tuple[list[CodingChange], int]:
    """Newest first."""
    get_scoped(session, Document, workspace_id, document_id, noun="document")
    query = scoped(CodingChange, workspace_id).where(CodingChange.document_id == document_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(CodingChange.id.desc()).limit(limit).offset(offset))
    return list(rows), total


# --- changing ----------------------------------------------------------------------------

def existing_documents(session: Session, workspace_id: str, document_ids: list[str]) -> list[str]:
    """The ids, in order and once each; any id not of this workspace is refused (404)."""
    wanted = list(dict.fromkeys(document_ids))
    found: set[str] = set()
    for ids in _chunks(wanted):
        found.update(session.scalars(select(Document.id).where(
            Document.workspace_id == workspace_id, Document.id.in_(ids))))
    missing = [d for d in wanted if d not in found]
    if missing:
        raise NotFound(f"{len(missing)} document(s) not found", details={"ids": missing[:10]})
    return wanted


def code_document(*, session: Session, principal: Principal, document_id: str,
                  edit: CodingEdit) -> Coding:
    """One document's coding edited; audited as `document.code` when anything changed."""
    existing_documents(session, principal.workspace_id, [document_id])
    before = codings(session=session, workspace_id=principal.workspace_id,
                     document_ids=[document_id])[document_id]
    snapshot = {name: before.value(name) for name in FIELDS}
    if _apply(session=session, principal=principal, document_ids=[document_id], edit=edit,
              batch_id=None):
        after = codings(session=session, workspace_id=principal.workspace_id,
                        document_ids=[document_id])[document_id]
        changes = {name: {"old": snapshot[name], "new": after.value(name)} for name in FIELDS
                   if snapshot[name] != after.value(name)}
        if "note" in changes:  # the log says that the note changed, not what it says
            changes["note"] = {"old": len(snapshot["note"] or ""),
                               "new": len(after.note or "")}
        audit.record_by(session=session, principal=principal, action="document.code",
                        target_type="document", target_id=document_id,
                        details={"changes": changes})
        return after
    return before


def check_edit(edit: CodingEdit, session: Session,
               workspace_id: str) -> dict[str, ReviewIssue]:
    """The edit's issues by name; an unknown one is refused before anything changes."""
    return _issues_by_name(session, workspace_id, edit.names)


def apply_batch(*, session: Session, principal: Principal, document_ids: list[str],
                edit: CodingEdit, batch_id: str) -> int:
    """A batch's edit over checked ids (review/batch.py audits it once for all)."""
    return _apply(session=session, principal=principal, document_ids=document_ids, edit=edit,
                  batch_id=batch_id)


def _apply(*, session: Session, principal: Principal, document_ids: list[str],
           edit: CodingEdit, batch_id: str | None) -> int:
    """Apply `edit` to each document; a history row per field that changed. Returns how
    many documents changed. Bulk statements: a batch of 10,000 stays a few seconds."""
    workspace_id = principal.workspace_id
    issues = check_edit(edit, session, workspace_id)
    by_lower = {name.lower(): issue for name, issue in issues.items()}
    current = codings(session=session, workspace_id=workspace_id, document_ids=document_ids)
    rows = {r.document_id: r for ids in _chunks(document_ids) for r in session.scalars(
        scoped(DocumentCoding, workspace_id).where(DocumentCoding.document_id.in_(ids)))}
    now, who = utcnow(), principal.label or principal.actor_id
    history: list[dict[str, object]] = []
    links_add: list[dict[str, str]] = []
    links_remove: dict[str, list[str]] = defaultdict(list)  # issue name (lower) -> documents
    changed = 0
    for document_id in document_ids:
        coding = current[document_id]
        row = rows.get(document_id)
        doc_changed = False
        for name in FIELDS:
            if name not in edit.given:
                continue
            old = coding.value(name)
            if name == "issues":
                new = _new_issues(coding.issues, edit, by_lower)
            else:
                new = getattr(edit, name)
            if old == new:
                continue
            doc_changed = True
            history.append({"workspace_id": workspace_id, "document_id": document_id,
                            "field": name, "old_value": as_text(old), "new_value": as_text(new),
                            "created_at": now, "actor_user_id": principal.user_id,
                            "actor_api_key_id": principal.api_key_id,
                            "actor_label": (who or None) and who[:320], "batch_id": batch_id})
            if name == "issues":
                old_keys, new_keys = ({n.lower() for n in old}, {n.lower() for n in new})
                links_add += [{"workspace_id": workspace_id, "document_id": document_id,
                               "issue_id": by_lower[k].id} for k in new_keys - old_keys]
                for key in old_keys - new_keys:
                    links_remove[key].append(document_id)
                continue
            if row is None:
                row = rows[document_id] = DocumentCoding(
                    document_id=document_id, workspace_id=workspace_id)
                session.add(row)
            setattr(row, name, new)
        if doc_changed:
            changed += 1
            if row is not None:
                row.updated_at, row.updated_by = now, (who or None) and who[:320]
    _write_links(session, workspace_id, links_add, links_remove)
    if history:
        session.execute(insert(CodingChange), history)
        mark_changed(session, workspace_id)
    session.flush()
    return changed


def _new_issues(old: list[str], edit: CodingEdit, by_lower: dict[str, ReviewIssue]) -> list[str]:
    """The document's issue names after the edit, sorted as `Coding.value` sorts them."""
    names = {n.lower(): n for n in old}
    if edit.issues is not None:
        names = {k.lower(): by_lower[k.lower()].name for k in edit.issues}
    for name in edit.add_issues:
        names[name.lower()] = by_lower[name.lower()].name
    for name in edit.remove_issues:
        names.pop(name.lower(), None)
    return sorted(names.values())


def _write_links(session: Session, workspace_id: str, add: list[dict[str, str]],
                 remove: dict[str, list[str]]) -> None:
    """Issue links added and removed with core statements (the history says which)."""
    if add:
        session.execute(insert(DocumentIssue), add)
    for key, document_ids in remove.items():
        issue_id = select(ReviewIssue.id).where(ReviewIssue.workspace_id == workspace_id,
                                                func.lower(ReviewIssue.name) == key)
        for ids in _chunks(document_ids):
            session.execute(delete(DocumentIssue).where(
                DocumentIssue.workspace_id == workspace_id,
                DocumentIssue.document_id.in_(ids), DocumentIssue.issue_id.in_(issue_id)))
