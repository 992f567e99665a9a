"""Recording and reading security events. Recording only adds rows (the database refuses
updates and deletes); a workspace sees its own events, operators see every event."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from casework.accounts.principal import Principal
from casework.audit.chain import link
from casework.audit.models import AuditEvent
from casework.core.database import transaction, utcnow
from casework.core.origin import RequestOrigin
from casework.core.scoping import scoped
from casework.security.ratelimit import RateLimiter

CSV_COLUMNS = ("id", "created_at", "workspace_id", "action", "outcome", "actor_user_id",
               "actor_api_key_id", "actor_label", "target_type", "target_id", "ip",
               "user_agent", "request_id", "details", "seq", "prev_hash", "hash")


def record(*, session: Session, action: str, origin: RequestOrigin,
           workspace_id: str | None = None, actor_user_id: str | None = None,
           actor_api_key_id: str | None = None, actor_label: str | None = None,
           target_type: str | None = None, target_id: str | None = None,
           outcome: str = "ok", details: dict[str, Any] | None = None) -> AuditEvent:
    """Add one event to this transaction: it commits, or rolls back, with the change it
    describes (failures raise errors with `keep_changes`, so their events are kept).
    It is linked to its workspace's hash chain, whose head stays locked until the commit."""
    event = AuditEvent(
        created_at=utcnow(), action=action, outcome=outcome, workspace_id=workspace_id,
        actor_user_id=actor_user_id, actor_api_key_id=actor_api_key_id,
        actor_label=(actor_label or None) and actor_label[:320],
        target_type=target_type, target_id=target_id, ip=origin.ip,
        user_agent=(origin.user_agent or None) and origin.user_agent[:400],
        request_id=(origin.request_id or None) and origin.request_id[:64],
        details=json.dumps(details or {}, sort_keys=True, default=str))
    link(session, event)
    session.add(event)
    session.flush()
    return event


def record_by(*, session: Session, principal: Principal, action: str,
              target_type: str | None = None, target_id: str | None = None,
              details: dict[str, Any] | None = None) -> AuditEvent:
    """An event done by `principal` in its workspace."""
    return record(session=session, action=action, origin=principal.origin,
                  workspace_id=principal.workspace_id, actor_user_id=principal.user_id,
                  actor_api_key_id=principal.api_key_id, actor_label=principal.label,
                  target_type=target_type, target_id=target_id, details=details)


@dataclass(frozen=True, slots=True)
class AuditFilters:
    action: str | None = None  # exact, or a prefix ending in "." (e.g. "auth.")
    outcome: str | None = None
    actor_user_id: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(query: Select[tuple[AuditEvent]], filters: AuditFilters) -> Select[tuple[AuditEvent]]:
    if filters.action:
        if filters.action.endswith("."):
            query = query.where(AuditEvent.action.startswith(filters.action, autoescape=True))
        else:
            query = query.where(AuditEvent.action == filters.action)
    if filters.outcome:
        query = query.where(AuditEvent.outcome == filters.outcome)
    if filters.actor_user_id:
        query = query.where(AuditEvent.actor_user_id == filters.actor_user_id)
    if filters.target_id:
        query = query.where(AuditEvent.target_id == filters.target_id)
    if filters.since:
        query = query.where(AuditEvent.created_at >= filters.since)
    if filters.until:
        query = query.where(AuditEvent.created_at < filters.until)
    return query


def list_events(*, session: Session, workspace_id: str | None, filters: AuditFilters,
                limit: int, offset: int) -> tuple[list[AuditEvent], int]:
    """Newest first. `workspace_id=None` is the operator's view across every workspace."""
    base = scoped(AuditEvent, workspace_id) if workspace_id else select(AuditEvent)  # type: ignore[type-var]
    query = _filtered(base, filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def to_csv(events: Iterable[AuditEvent], *, header: bool = True) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(CSV_COLUMNS)
    for event in events:
        writer.writerow([_cell(getattr(event, column)) for column in CSV_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    # Spreadsheets run cells starting with these as formulas (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def record_read(*, sessions: sessionmaker[Session], principal: Principal, action: str,
                target_type: str | None = None, target_id: str | None = None,
                details: dict[str, Any] | None = None) -> None:
    """For reads worth auditing (downloads): GET routes hold a read-only session, so the
    event is written in its own short transaction."""
    with transaction(sessions) as session:
        record_by(session=session, principal=principal, action=action,
                  target_type=target_type, target_id=target_id, details=details)


def record_once(*, sessions: sessionmaker[Session], limiter: RateLimiter, window_seconds: int,
                principal: Principal, action: str, document_id: str) -> bool:
    """One `action` event per (actor, document) per fixed window; True when this request
    wrote it. For reads that come in bursts (a player's byte ranges, a reader paging
    through a document's text): the log says who saw what and when, to within the window,
    without a row per request."""
    actor = principal.api_key_id or principal.user_id or principal.label or "anonymous"
    namespace = "audit-" + action.removeprefix("document.")  # "audit-download" as before
    if not limiter.first_in_window(namespace, f"{actor}|{document_id}",
                                   window_seconds=window_seconds):
        return False
    record_read(sessions=sessions, principal=principal, action=action,
                target_type="document", target_id=document_id)
    return True


def record_download(*, sessions: sessionmaker[Session], limiter: RateLimiter,
                    window_seconds: int, principal: Principal, document_id: str) -> bool:
    """One `document.download` per (actor, document) per window, whatever byte ranges the
    client asks for; True when this request wrote the event.

    Every request is considered, not only the one starting at byte 0: a client that skips
    byte 0 (`Range: bytes=1-`) would otherwise take the whole file unaudited, while a video
    player seeking sends dozens of ranges and a player replaying re-asks for `bytes=0-`.
    """
    return record_once(sessions=sessions, limiter=limiter, window_seconds=window_seconds,
                       principal=principal, action="document.download",
                       document_id=document_id)


def record_view(*, sessions: sessionmaker[Session], limiter: RateLimiter, window_seconds: int,
                principal: Principal, document_id: str) -> bool:
    """One `document.view` per (actor, document) per window: the document's page in the web
    UI, its text or its page images from the API (docs/security.md says which)."""
    return record_once(sessions=sessions, limiter=limiter, window_seconds=window_seconds,
                       principal=principal, action="document.view", document_id=document_id)


def query_digest(*, key: str, text: str) -> str:
    """HMAC-SHA256 (keyed with SECRET_KEY) of a search as typed, case and spacing folded:
    the log can tell the same search again without holding what was searched for, and the
    hash cannot be reversed by hashing likely queries without the key."""
    folded = " ".join(text.casefold().split())
    return hmac.new(key.encode(), folded.encode(), hashlib.sha256).hexdigest()


def record_search(*, sessions: sessionmaker[Session], limiter: RateLimiter,
                  window_seconds: int, principal: Principal, query_hash: str,
                  details: dict[str, Any]) -> bool:
    """One `search` event per (actor, query) per window: paging through results or a
    client repeating a search writes one row, not one per request."""
    actor = principal.api_key_id or principal.user_id or principal.label or "anonymous"
    if not limiter.first_in_window("audit-search", f"{actor}|{query_hash}",
                                   window_seconds=window_seconds):
        return False
    record_read(sessions=sessions, principal=principal, action="search", target_type="query",
                target_id=query_hash[:64], details=details)
    return True
