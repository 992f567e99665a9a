"""Usage per day for the admin page: documents added, bytes stored, searches, response time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.core.database import utcnow
from casework.documents.models import Document
from casework.usage.models import UsageDay


@dataclass(frozen=True, slots=True)
class UsageRow:
    day: str
    documents: int
    bytes_added: int
    queries: int
    avg_query_ms: float | None


@dataclass(frozen=True, slots=True)
class UsageSummary:
    documents: int
    storage_bytes: int
    days: list[UsageRow]


def usage_summary(*, session: Session, workspace_id: str, days: int = 30) -> UsageSummary:
    since = utcnow() - timedelta(days=days)
    documents, storage = session.execute(
        select(func.count(), func.coalesce(func.sum(Document.size_bytes), 0))
        .where(Document.workspace_id == workspace_id)).one()
    added: dict[str, tuple[int, int]] = {}
    for created_at, size in session.execute(
            select(Document.created_at, Document.size_bytes)
            .where(Document.workspace_id == workspace_id, Document.created_at >= since)):
        day = created_at.strftime("%Y-%m-%d")
        count, total = added.get(day, (0, 0))
        added[day] = (count + 1, total + size)
    queries = {row.day: row for row in session.scalars(select(UsageDay).where(
        UsageDay.workspace_id == workspace_id, UsageDay.day >= since.strftime("%Y-%m-%d")))}
    rows = []
    for day in sorted(set(added) | set(queries), reverse=True):
        count, size = added.get(day, (0, 0))
        q = queries.get(day)
        rows.append(UsageRow(day=day, documents=count, bytes_added=size,
                             queries=q.queries if q else 0,
                             avg_query_ms=round(q.query_ms_total / q.queries, 1)
                             if q and q.queries else None))
    return UsageSummary(documents=documents, storage_bytes=int(storage), days=rows)
