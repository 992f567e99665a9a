"""The audit log's hash chain: linking each new event to the one before it, and checking
that no event was edited, removed or inserted since.

Every workspace has its own chain (account-level events, with no workspace, share one):
row `seq` N carries the hash of row N-1 (`prev_hash`) and its own hash, SHA-256 over a
canonical JSON of its fields and `prev_hash`. Editing a row changes its hash; deleting one
leaves a gap in `seq`; rewriting a hash to match breaks the next row's `prev_hash`. What it
cannot show is a chain rewritten whole by someone who can write to the database: the head
hash (`casework audit head`) recorded elsewhere is what catches that (docs/security.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casework.audit.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64
ACCOUNT_CHAIN = "-"  # account-level events (no workspace); never a workspace id
HASHED_FIELDS = ("workspace_id", "seq", "created_at", "action", "outcome", "actor_user_id",
                 "actor_api_key_id", "actor_label", "target_type", "target_id", "ip",
                 "user_agent", "request_id", "details", "prev_hash")
MAX_LISTED = 1000  # a report names at most this many edited rows and gaps


def chain_of(workspace_id: str | None) -> str:
    return workspace_id or ACCOUNT_CHAIN


def _canonical_time(value: datetime) -> str:
    # Microseconds, UTC, one spelling: what SQLite and PostgreSQL both give back.
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(event: AuditEvent) -> str:
    """SHA-256 (hex) of the event's canonical JSON: sorted keys, no spaces, UTF-8."""
    values: dict[str, Any] = {}
    for name in HASHED_FIELDS:
        value = getattr(event, name)
        values[name] = _canonical_time(value) if isinstance(value, datetime) else value
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _advance_head(session: Session, chain: str) -> tuple[int, str]:
    """Take the chain's next seq, holding its head row until the transaction ends."""
    table = AuditChainHead.__table__
    bump = update(table).where(table.c.chain == chain).values(seq=table.c.seq + 1)
    if session.execute(bump).rowcount == 0:  # type: ignore[attr-defined]
        try:
            with session.begin_nested():
                session.execute(table.insert().values(chain=chain, seq=0, hash=GENESIS))
        except IntegrityError:
            pass  # a concurrent first event made it; the update below waits for it
        session.execute(bump)
    seq, prev_hash = session.execute(
        select(table.c.seq, table.c.hash).where(table.c.chain == chain)).one()
    return int(seq), str(prev_hash)


def link(session: Session, event: AuditEvent) -> None:
    """Give `event` (not yet added) its place in its chain: seq, prev_hash and hash.

    The head row is updated first (`UPDATE ... SET seq = seq + 1`), which takes its row lock
    on PostgreSQL and the write lock on SQLite (writers BEGIN IMMEDIATE), so a concurrent
    append to the same chain waits for this transaction and then reads the new head: the
    chain never forks. The lock is held until commit, so appends to one workspace are
    serialised; other workspaces' chains do not wait.
    """
    if event.created_at is None:
        raise ValueError("an audit event needs its created_at before it is linked")
    chain = chain_of(event.workspace_id)
    event.seq, event.prev_hash = _advance_head(session, chain)
    event.hash = event_hash(event)
    table = AuditChainHead.__table__
    session.execute(update(table).where(table.c.chain == chain).values(hash=event.hash))


@dataclass(slots=True)
class ChainReport:
    """What `verify_chain` found in one chain. `ok` only when nothing is wrong."""

    chain: str
    events: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    edited: list[int] = field(default_factory=list)  # seqs whose hash does not match
    broken_links: list[int] = field(default_factory=list)  # seqs whose prev_hash is wrong
    gaps: list[tuple[int, int]] = field(default_factory=list)  # missing seqs, inclusive
    unlinked: bool = False  # rows without a seq (written around the chain)
    head_mismatch: bool = False  # the head's hash is not the last row's

    @property
    def ok(self) -> bool:
        return not (self.edited or self.broken_links or self.gaps or self.unlinked
                    or self.head_mismatch)

    @property
    def first_broken_seq(self) -> int | None:
        found = [*self.edited, *self.broken_links, *(start for start, _ in self.gaps)]
        return min(found) if found else None

    def as_dict(self) -> dict[str, Any]:
        return {"chain": self.chain, "ok": self.ok, "events": self.events,
                "head_seq": self.head_seq, "head_hash": self.head_hash,
                "first_broken_seq": self.first_broken_seq, "edited": self.edited,
                "broken_links": self.broken_links,
                "gaps": [{"from_seq": a, "to_seq": b} for a, b in self.gaps],
                "unlinked": self.unlinked, "head_mismatch": self.head_mismatch}


def _chain_rows(session: Session, workspace_id: str | None) -> Iterator[AuditEvent]:
    where = (AuditEvent.workspace_id == workspace_id if workspace_id is not None
             else AuditEvent.workspace_id.is_(None))
    query = select(AuditEvent).where(where, AuditEvent.seq.is_not(None)).order_by(
        AuditEvent.seq).execution_options(yield_per=1000)
    for event in session.scalars(query):
        yield event
        session.expunge(event)  # a long chain is walked in constant memory


def _note(found: list[Any], item: Any) -> None:
    if len(found) < MAX_LISTED:
        found.append(item)


def verify_chain(*, session: Session, workspace_id: str | None) -> ChainReport:
    """Walk one chain from seq 1 and say which rows were edited, which are missing, and
    where the links break. Reads every row once, in order."""
    chain = chain_of(workspace_id)
    report = ChainReport(chain=chain)
    head = session.get(AuditChainHead, chain)
    if head is not None:
        report.head_seq, report.head_hash = int(head.seq), head.hash
    where = (AuditEvent.workspace_id == workspace_id if workspace_id is not None
             else AuditEvent.workspace_id.is_(None))
    report.unlinked = session.scalar(
        select(AuditEvent.id).where(where, AuditEvent.seq.is_(None)).limit(1)) is not None
    expected, prev_hash = 1, GENESIS
    for event in _chain_rows(session, workspace_id):
        seq = int(event.seq or 0)
        report.events += 1
        if seq > expected:
            _note(report.gaps, (expected, seq - 1))
        elif event.prev_hash != prev_hash:
            _note(report.broken_links, seq)
        if event_hash(event) != event.hash:
            _note(report.edited, seq)
        expected, prev_hash = seq + 1, event.hash or ""
    if report.head_seq >= expected:  # rows cut from the end
        _note(report.gaps, (expected, report.head_seq))
    elif report.head_seq != expected - 1 or report.head_hash != prev_hash:
        report.head_mismatch = True
    return report


def chains(session: Session) -> list[str | None]:
    """Every chain there is (workspace ids; None for the account-level one)."""
    heads = session.scalars(select(AuditChainHead.chain).order_by(AuditChainHead.chain))
    return [None if chain == ACCOUNT_CHAIN else chain for chain in heads]


def head_of(*, session: Session, workspace_id: str | None) -> tuple[int, str]:
    """(seq, hash) of the chain's last link: the value to record outside the database."""
    head = session.get(AuditChainHead, chain_of(workspace_id))
    return (0, GENESIS) if head is None else (int(head.seq), head.hash)
