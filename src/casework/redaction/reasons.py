"""The reasons a redaction may give: a few built in, and those a workspace adds.

Built-in reasons are constants rather than rows seeded into every workspace: a workspace
made before redaction existed has them too, and nothing has to be migrated to change them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.core.errors import Conflict, InvalidInput
from casework.core.scoping import get_scoped, scoped
from casework.redaction.models import RedactionReason

BUILT_IN = ("Privacy", "Privilege: attorney-client", "Privilege: work product",
            "Confidential business information", "Not relevant")
MAX_LABEL = 120
MAX_REASONS = 100  # a workspace's own reasons, beside the built-in ones


@dataclass(frozen=True, slots=True)
class Reason:
    label: str
    id: str | None = None  # None for a built-in reason

    @property
    def built_in(self) -> bool:
        return self.id is None


def clean_label(label: str) -> str:
    label = unicodedata.normalize("NFC", label).strip()
    if not label or len(label) > MAX_LABEL:
        raise InvalidInput(f"a reason is 1 to {MAX_LABEL} characters",
                           details={"field": "label", "limit": MAX_LABEL})
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in label):
        raise InvalidInput("a reason may not hold control characters",
                           details={"field": "label"})
    return label


def list_reasons(*, session: Session, workspace_id: str) -> list[Reason]:
    own = session.scalars(scoped(RedactionReason, workspace_id).order_by(
        RedactionReason.label).limit(MAX_REASONS)).all()
    return [Reason(label) for label in BUILT_IN] + [Reason(r.label, r.id) for r in own]


def check_reason(*, session: Session, workspace_id: str, label: str) -> str:
    """`label` if it is one of the workspace's reasons (built in or its own)."""
    label = clean_label(label)
    if label in BUILT_IN or session.scalar(scoped(RedactionReason, workspace_id).where(
            RedactionReason.label == label).limit(1)) is not None:
        return label
    raise InvalidInput(f"{label!r} is not one of this workspace's redaction reasons",
                       details={"field": "reason"})


def add_reason(*, session: Session, principal: Principal, label: str) -> Reason:
    label = clean_label(label)
    workspace_id = principal.workspace_id
    if label in BUILT_IN:
        raise Conflict(f"{label!r} is a built-in reason")
    count = session.scalar(select(func.count()).select_from(
        scoped(RedactionReason, workspace_id).subquery()))
    if (count or 0) >= MAX_REASONS:
        raise InvalidInput(f"a workspace has at most {MAX_REASONS} reasons of its own")
    reason = RedactionReason(workspace_id=workspace_id, label=label)
    try:
        with session.begin_nested():
            session.add(reason)
            session.flush()
    except IntegrityError:
        raise Conflict(f"{label!r} is already a reason") from None
    audit.record_by(session=session, principal=principal, action="redaction.reason_add",
                    target_type="redaction_reason", target_id=reason.id,
                    details={"label": label})
    return Reason(reason.label, reason.id)


def delete_reason(*, session: Session, principal: Principal, reason_id: str) -> None:
    """Remove a reason from the list; redactions that gave it keep it (it is their text)."""
    reason = get_scoped(session, RedactionReason, principal.workspace_id, reason_id,
                        noun="redaction reason")
    audit.record_by(session=session, principal=principal, action="redaction.reason_delete",
                    target_type="redaction_reason", target_id=reason.id,
                    details={"label": reason.label})
    session.delete(reason)
    session.flush()

