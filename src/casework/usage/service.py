"""Usage per day of a workspace (GET /usage and the admin page's charts): documents added,
bytes stored, searches and questions with their average and p95 response times, active
users; and the period's popular search terms and tags.

Sources: documents and tags from their tables; searches, their times (a histogram) and
terms, and active users from the meter's tables (usage/meter.py); questions from the
question log, whose exact latencies give an exact p95.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from casework.ask.models import QuestionLog
from casework.core.database import is_read_only, restart_snapshot, utcnow
from casework.documents.models import Document
from casework.notes.models import Note
from casework.tags.models import DocumentTag, NoteTag, Tag
from casework.usage.meter import UsageMeter, bucket_upper_ms
from casework.usage.models import UsageActiveUser, UsageDay, UsageSearchLatency, UsageTerm

MAX_DAYS = 365
TOP = 10
TERM_CANDIDATES = 200  # most searched terms whose searchers are counted


@dataclass(frozen=True, slots=True)
class UsageDayRow:
    day: str  # YYYY-MM-DD, UTC
    documents_added: int
    bytes_added: int
    storage_bytes: int  # of the documents there now, at the end of the day
    searches: int
    search_avg_ms: float | None
    search_p95_ms: float | None  # upper edge of the histogram bucket holding it
    questions: int
    questions_answered: int
    question_avg_ms: float | None
    question_p95_ms: float | None  # exact
    active_users: int

    @property
    def has_activity(self) -> bool:
        return bool(self.documents_added or self.searches or self.questions
                    or self.active_users)


@dataclass(frozen=True, slots=True)
class PopularTerm:
    term: str
    searches: int
    people: int  # at least this many different searchers (never more)


@dataclass(frozen=True, slots=True)
class PopularTag:
    tag: str
    items: int  # documents and notes added in the period that carry it


@dataclass(frozen=True, slots=True)
class UsageReport:
    days: int
    since: str
    until: str
    documents: int
    storage_bytes: int
    active_users: int  # different users over the whole period
    daily: list[UsageDayRow]  # oldest first, one per day, zeros included
    popular_terms: list[PopularTerm]
    popular_tags: list[PopularTag]
    term_min_people: int

    @property
    def searches(self) -> int:
        return sum(d.searches for d in self.daily)

    @property
    def questions(self) -> int:
        return sum(d.questions for d in self.daily)


def usage_report(*, session: Session, workspace_id: str, days: int = 30,
                 meter: UsageMeter | None = None, term_min_people: int = 3) -> UsageReport:
    """The last `days` UTC days, today included.

    With `meter`, this process's buffered counts are written first and a read-only session
    starts a new snapshot to read them: its first read (who is calling) came before that
    write, and on SQLite it would not see it (the admin page once showed 1 of 6 searches).
    A write session (a form's result page) holds SQLite's write lock, which the meter's
    write would wait on: it reads without flushing.
    """
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1-{MAX_DAYS}")
    if meter is not None and is_read_only(session):
        meter.flush()
        restart_snapshot(session)
    today = utcnow().date()
    first = today - timedelta(days=days - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    day_names = [(first + timedelta(days=i)).isoformat() for i in range(days)]

    documents, storage = session.execute(
        select(func.count(), func.coalesce(func.sum(Document.size_bytes), 0))
        .where(Document.workspace_id == workspace_id)).one()
    added = _documents_added(session, workspace_id, since)
    searches = _searches(session, workspace_id, first)
    asked = _questions(session, workspace_id, since)
    active = dict(session.execute(
        select(UsageActiveUser.day, func.count()).where(
            UsageActiveUser.workspace_id == workspace_id, UsageActiveUser.day >= first.isoformat())
        .group_by(UsageActiveUser.day)).all())
    active_total = session.scalar(
        select(func.count(distinct(UsageActiveUser.user_id))).where(
            UsageActiveUser.workspace_id == workspace_id,
            UsageActiveUser.day >= first.isoformat())) or 0

    rows, later_bytes = [], 0
    for day in reversed(day_names):  # storage at a day's end: now, less what came later
        count, size = added.get(day, (0, 0))
        search_count, search_ms, search_p95 = searches.get(day, (0, 0.0, None))
        latencies, answered = asked.get(day, ([], 0))
        rows.append(UsageDayRow(
            day=day, documents_added=count, bytes_added=size,
            storage_bytes=int(storage) - later_bytes, searches=search_count,
            search_avg_ms=round(search_ms / search_count, 1) if search_count else None,
            search_p95_ms=search_p95, questions=len(latencies), questions_answered=answered,
            question_avg_ms=round(sum(latencies) / len(latencies), 1) if latencies else None,
            question_p95_ms=_exact_p95(latencies), active_users=active.get(day, 0)))
        later_bytes += size
    rows.reverse()
    return UsageReport(
        days=days, since=day_names[0], until=day_names[-1], documents=documents,
        storage_bytes=int(storage), active_users=active_total, daily=rows,
        popular_terms=_popular_terms(session, workspace_id, first, term_min_people),
        popular_tags=_popular_tags(session, workspace_id, since),
        term_min_people=term_min_people)


def _documents_added(session: Session, workspace_id: str,
                     since: datetime) -> dict[str, tuple[int, int]]:
    added: dict[str, tuple[int, int]] = {}
    for created_at, size in session.execute(
            select(Document.created_at, Document.size_bytes)
            .where(Document.workspace_id == workspace_id, Document.created_at >= since)):
        day = created_at.strftime("%Y-%m-%d")
        count, total = added.get(day, (0, 0))
        added[day] = (count + 1, total + size)
    return added


def _searches(session: Session, workspace_id: str,
              first: date) -> dict[str, tuple[int, float, float | None]]:
    """Per day: searches, their total ms, and p95 from the day's histogram."""
    totals = {row.day: row for row in session.scalars(select(UsageDay).where(
        UsageDay.workspace_id == workspace_id, UsageDay.day >= first.isoformat()))}
    histograms: dict[str, dict[int, int]] = defaultdict(dict)
    for day, bucket, count in session.execute(
            select(UsageSearchLatency.day, UsageSearchLatency.bucket,
                   UsageSearchLatency.searches)
            .where(UsageSearchLatency.workspace_id == workspace_id,
                   UsageSearchLatency.day >= first.isoformat())):
        histograms[day][bucket] = count
    return {day: (row.queries, row.query_ms_total, _histogram_p95(histograms.get(day, {})))
            for day, row in totals.items()}


def _histogram_p95(histogram: dict[int, int]) -> float | None:
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = math.ceil(0.95 * total), 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return round(bucket_upper_ms(bucket), 1)
    return None  # unreachable: the counts add up to `total`


def _exact_p95(latencies: list[float]) -> float | None:
    """Nearest rank: the smallest time at or under which 95 % of the answers came."""
    if not latencies:
        return None
    ordered = sorted(latencies)
    return round(ordered[math.ceil(0.95 * len(ordered)) - 1], 1)


def _questions(session: Session, workspace_id: str,
               since: datetime) -> dict[str, tuple[list[float], int]]:
    """Per day: every answer's latency, and how many found an answer."""
    latencies: dict[str, list[float]] = defaultdict(list)
    answered: dict[str, int] = defaultdict(int)
    for created_at, found, latency_ms in session.execute(
            select(QuestionLog.created_at, QuestionLog.found, QuestionLog.latency_ms)
            .where(QuestionLog.workspace_id == workspace_id, QuestionLog.created_at >= since)):
        day = created_at.strftime("%Y-%m-%d")
        latencies[day].append(latency_ms)
        answered[day] += bool(found)
    return {day: (times, answered[day]) for day, times in latencies.items()}


def _popular_terms(session: Session, workspace_id: str, first: date,
                   min_people: int) -> list[PopularTerm]:
    """The most searched terms that at least `min_people` different people searched: a
    term only one person looks for (a name in their case) is never listed."""
    in_period = (UsageTerm.workspace_id == workspace_id, UsageTerm.day >= first.isoformat())
    candidates = list(session.execute(
        select(UsageTerm.term, func.sum(UsageTerm.searches).label("searches"))
        .where(*in_period).group_by(UsageTerm.term)
        .order_by(func.sum(UsageTerm.searches).desc(), UsageTerm.term)
        .limit(TERM_CANDIDATES)))
    if not candidates:
        return []
    people: dict[str, int] = defaultdict(int)
    for term, bits in session.execute(select(UsageTerm.term, UsageTerm.people).where(
            *in_period, UsageTerm.term.in_([c.term for c in candidates]))):
        people[term] |= bits
    shown = [PopularTerm(term=c.term, searches=int(c.searches),
                         people=people[c.term].bit_count()) for c in candidates]
    return [t for t in shown if t.people >= min_people][:TOP]


def _popular_tags(session: Session, workspace_id: str, since: datetime) -> list[PopularTag]:
    """Tags of the documents and notes added in the period, most used first."""
    counts: dict[str, int] = defaultdict(int)
    for link, owner, owner_id in ((DocumentTag, Document, DocumentTag.document_id),
                                  (NoteTag, Note, NoteTag.note_id)):
        for name, count in session.execute(
                select(Tag.name, func.count()).select_from(link)
                .join(Tag, Tag.id == link.tag_id).join(owner, owner.id == owner_id)
                .where(link.workspace_id == workspace_id, owner.workspace_id == workspace_id,
                       owner.created_at >= since)
                .group_by(Tag.name)):
            counts[name] += count
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    return [PopularTag(tag=name, items=count) for name, count in ranked]
