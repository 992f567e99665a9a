"""Usage per day for the admin page: documents added, bytes stored, searches and questions
with their response times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.ask.models import QuestionLog
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
    questions: int = 0
    questions_answered: int = 0  # not "not found in the material"
    avg_answer_ms: float | None = None


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
    asked: dict[str, list[float]] = {}  # day -> [questions, answered, total ms]
    for created_at, found, latency_ms in session.execute(
            select(QuestionLog.created_at, QuestionLog.found, QuestionLog.latency_ms)
            .where(QuestionLog.workspace_id == workspace_id, QuestionLog.created_at >= since)):
        entry = asked.setdefault(created_at.strftime("%Y-%m-%d"), [0, 0, 0.0])
        entry[0] += 1
        entry[1] += bool(found)
        entry[2] += latency_ms
    rows = []
    for day in sorted(set(added) | set(queries) | set(asked), reverse=True):
        count, size = added.get(day, (0, 0))
        q = queries.get(day)
        questions, answered, answer_ms = asked.get(day, (0, 0, 0.0))
        rows.append(UsageRow(day=day, documents=count, bytes_added=size,
                             queries=q.queries if q else 0,
                             avg_query_ms=round(q.query_ms_total / q.queries, 1)
                             if q and q.queries else None,
                             questions=int(questions), questions_answered=int(answered),
                             avg_answer_ms=round(answer_ms / questions, 1)
                             if questions else None))
    return UsageSummary(documents=documents, storage_bytes=int(storage), days=rows)
