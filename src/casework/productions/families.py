"""Families in a production: an e-mail and its attachments (and theirs), an archive and
its files. A family is produced whole or not at all, as e-discovery practice has it: when
any member is selected, the rest of the family comes along (`FamilyPolicy.complete`).

A mailbox (.mbox, .pst) is where its messages were found, not their family: each of its
messages tops a family of its own, and the mailbox is a document alone. So the climb to a
family's top stops below a mailbox, and the walk down never enters one.

Members brought in are produced as any document is: a privileged one is withheld (a slip
sheet), a redacted one goes out as its verified redacted copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.core.errors import InvalidInput
from casework.documents.models import Document, DocumentStatus
from casework.ingest.sniff import MBOX, PST

MAILBOX_TYPES = frozenset({MBOX, PST})
ID_BATCH = 900  # ids per IN (...): well under SQLite's bound-parameter limit
MAX_DEPTH = 64  # generations; ingest nests containers at most 20 deep


@dataclass(frozen=True, slots=True)
class _Member:
    id: str
    parent_id: str | None
    mailbox: bool
    status: str


def _read(session: Session, workspace_id: str, column: Any, values: Iterable[str]
          ) -> list[_Member]:
    """Documents of the workspace whose `column` (id or parent) is one of `values`."""
    values = list(values)
    found: list[_Member] = []
    for at in range(0, len(values), ID_BATCH):
        rows = session.execute(
            select(Document.id, Document.parent_document_id, Document.media_type,
                   Document.status)
            .where(Document.workspace_id == workspace_id,
                   column.in_(values[at:at + ID_BATCH])))
        found.extend(_Member(row.id, row.parent_document_id, row.media_type in MAILBOX_TYPES,
                             str(row.status)) for row in rows)
    return found


def _tops(session: Session, workspace_id: str, ids: list[str]) -> set[str]:
    """The top of each selected document's family: its highest ancestor below a mailbox
    (or no parent). Ancestors are read a generation at a time."""
    known = {m.id: m for m in _read(session, workspace_id, Document.id, ids)}
    wanted = {m.parent_id for m in known.values() if m.parent_id is not None}
    for _ in range(MAX_DEPTH):
        wanted -= known.keys()
        if not wanted:
            break
        parents = _read(session, workspace_id, Document.id, wanted)
        known.update((m.id, m) for m in parents)
        wanted = {m.parent_id for m in parents if m.parent_id is not None and not m.mailbox}

    def top(member: _Member) -> str:
        for _ in range(MAX_DEPTH):
            parent = known.get(member.parent_id) if member.parent_id else None
            if parent is None or parent.mailbox:
                break
            member = parent
        return member.id

    return {top(known[i]) for i in ids if i in known}


def complete_families(*, session: Session, workspace_id: str, ids: list[str],
                      limit: int) -> tuple[list[str], dict[str, Any]]:
    """`ids` and, after them, every other member of their families; failed members are
    left out (they have no pages) and counted. Refuses a set grown past `limit`."""
    tops = _tops(session, workspace_id, ids)
    family = {m.id: m for m in _read(session, workspace_id, Document.id, tops)}
    parents = [m.id for m in family.values() if not m.mailbox]
    for _ in range(MAX_DEPTH):
        if not parents:
            break
        children = [m for m in _read(session, workspace_id, Document.parent_document_id,
                                     parents) if m.id not in family]
        family.update((m.id, m) for m in children)
        if len(family) > limit + len(ids):
            break  # refused below: no need to read the rest
        parents = [m.id for m in children if not m.mailbox]
    selected = set(ids)
    brought = sorted(m.id for m in family.values() if m.id not in selected)
    failed = [i for i in brought if family[i].status == DocumentStatus.failed]
    added = [i for i in brought if family[i].status != DocumentStatus.failed]
    if len(ids) + len(added) > limit:
        raise InvalidInput(f"with their families, the selection holds more than {limit} "
                           "documents (PRODUCTION_MAX_DOCUMENTS): narrow it, or produce "
                           "families as selected", details={"limit": limit})
    return ids + added, {"policy": "complete", "added": len(added),
                         "failed_left_out": len(failed)}
