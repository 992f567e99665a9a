"""A collection's timeline: every date the entity extraction found, as the sentence that
holds it, citing its document and page, in date order.

An event is one date mention (entities/, kind "date"), so a sentence with two dates is two
events and the same sentence on two pages is two events, each citing its own page. The
date is the mention's entity key: ISO "YYYY-MM-DD", or "YYYY-MM" when the text names only
a month, with relative dates already resolved against the document's date. Keys of one
shape sort as dates, and a month sorts before the days of that month ("2024-03" <
"2024-03-01"), so the database orders and pages the events itself. The sentence is found
in the page's text only for the events returned, except when filtering by an entity,
where whether the sentence mentions it is known only once the sentence is cut.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, exists, func, or_, select, tuple_
from sqlalchemy.orm import Session, aliased

from casework.collections import service as collections_service
from casework.core.errors import InvalidInput
from casework.documents.models import Document, DocumentPage
from casework.entities import service as entities_service
from casework.entities.models import Entity, EntityKind, EntityMention
from casework.timeline.enclosing import REACH_CHARS, PageSentences

MAX_LIMIT = 10_000
MAX_OFFSET = 1_000_000
# Pages read (and their mentions) per query: bounds the statement and the memory.
BATCH_PAGES = 500


@dataclass(frozen=True)
class TimelineEvent:
    date: str  # ISO "YYYY-MM-DD" or "YYYY-MM" (the precision the text gives)
    sentence: str  # the sentence, verbatim from the page text
    document_id: str
    title: str  # the document's title, else its filename
    page: int  # 1-based page number
    start: int  # character offsets of the sentence in that page's text
    end: int
    entity_ids: tuple[str, ...]  # non-date entities mentioned inside the sentence


@dataclass(frozen=True, slots=True)
class TimelinePage:
    events: list[TimelineEvent]
    total: int  # events matching the filters, of which `events` is one page


@dataclass(frozen=True, slots=True)
class _DateMention:
    date: str
    document_id: str
    title: str
    page: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _PageMention:
    entity_id: str
    kind: str
    start: int
    end: int


def _check(*, date_from: date | None, date_to: date | None, limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be 1 to {MAX_LIMIT}")
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput(f"offset must be 0 to {MAX_OFFSET}")
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InvalidInput("the range starts after it ends (from is later than to)")


def _date_mentions(*, workspace_id: str, collection_id: str, entity_id: str | None,
                   date_from: date | None, date_to: date | None) -> Select:
    """The collection's date mentions in timeline order. A month ("2024-03") is in a range
    that overlaps it: from 2024-03-15 keeps it, as to 2024-03-01 does.

    With an entity, only mentions that have one of the entity's within REACH_CHARS on the
    same page: no sentence reaches further, so the exact test after cutting the sentence
    drops few.
    """
    title = func.coalesce(func.nullif(Document.title, ""), Document.filename)
    query = (select(Entity.key, EntityMention.document_id, title, EntityMention.page,
                    EntityMention.start_char, EntityMention.end_char)
             .join(Entity, Entity.id == EntityMention.entity_id)
             .join(Document, Document.id == EntityMention.document_id)
             .where(EntityMention.workspace_id == workspace_id,
                    Entity.workspace_id == workspace_id, Entity.kind == EntityKind.date,
                    Document.workspace_id == workspace_id,
                    Document.collection_id == collection_id))
    if date_from is not None:
        day = date_from.isoformat()
        query = query.where(or_(Entity.key >= day, Entity.key == day[:7]))
    if date_to is not None:
        query = query.where(Entity.key <= date_to.isoformat())
    if entity_id is not None:
        near = aliased(EntityMention)
        query = query.where(exists().where(
            near.workspace_id == workspace_id, near.entity_id == entity_id,
            near.document_id == EntityMention.document_id, near.page == EntityMention.page,
            near.start_char < EntityMention.end_char + REACH_CHARS,
            near.end_char > EntityMention.start_char - REACH_CHARS))
    return query.order_by(Entity.key, title, EntityMention.page, EntityMention.start_char,
                          EntityMention.id)


def _page_texts(session: Session, workspace_id: str,
                keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], str]:
    rows = session.execute(select(DocumentPage.document_id, DocumentPage.number,
                                  DocumentPage.text).where(
        DocumentPage.workspace_id == workspace_id,
        tuple_(DocumentPage.document_id, DocumentPage.number).in_(keys)))
    return {(document_id, number): text for document_id, number, text in rows}


def _page_mentions(session: Session, workspace_id: str, keys: Sequence[tuple[str, int]]
                   ) -> dict[tuple[str, int], list[_PageMention]]:
    rows = session.execute(
        select(EntityMention.document_id, EntityMention.page, EntityMention.entity_id,
               Entity.kind, EntityMention.start_char, EntityMention.end_char)
        .join(Entity, Entity.id == EntityMention.entity_id)
        .where(EntityMention.workspace_id == workspace_id, Entity.workspace_id == workspace_id,
               tuple_(EntityMention.document_id, EntityMention.page).in_(keys))
        .order_by(EntityMention.start_char, EntityMention.id))
    found: dict[tuple[str, int], list[_PageMention]] = {}
    for document_id, page, entity_id, kind, start, end in rows:
        found.setdefault((document_id, page), []).append(_PageMention(entity_id, kind, start,
                                                                      end))
    return found


def _by_page(mentions: Sequence[_DateMention]) -> Iterator[list[int]]:
    """Indices of `mentions` in batches of up to BATCH_PAGES whole pages: each page's text
    is read and split once, however many of its dates the timeline spreads apart."""
    order = sorted(range(len(mentions)),
                   key=lambda i: (mentions[i].document_id, mentions[i].page))
    batch: list[int] = []
    pages: set[tuple[str, int]] = set()
    for index in order:
        key = (mentions[index].document_id, mentions[index].page)
        if key not in pages and len(pages) == BATCH_PAGES:
            yield batch
            batch, pages = [], set()
        batch.append(index)
        pages.add(key)
    if batch:
        yield batch


def _events(session: Session, workspace_id: str, mentions: Sequence[_DateMention],
            entity_id: str | None) -> list[TimelineEvent]:
    """Each date mention as its sentence, in the order given; with `entity_id`, only those
    whose sentence mentions it. A mention its page no longer holds (the document being
    processed again) gives no event."""
    found: dict[int, TimelineEvent] = {}
    for batch in _by_page(mentions):
        keys = sorted({(mentions[i].document_id, mentions[i].page) for i in batch})
        pages = {key: PageSentences(text)
                 for key, text in _page_texts(session, workspace_id, keys).items()}
        on_page = _page_mentions(session, workspace_id, keys)
        for index in batch:
            mention = mentions[index]
            page = pages.get((mention.document_id, mention.page))
            if page is None or not 0 <= mention.start < mention.end <= len(page.text):
                continue
            start, end = page.around(mention.start, mention.end)
            inside = [m for m in on_page.get((mention.document_id, mention.page), [])
                      if m.start >= start and m.end <= end]
            if entity_id is not None and all(m.entity_id != entity_id for m in inside):
                continue
            named = dict.fromkeys(m.entity_id for m in inside if m.kind != EntityKind.date)
            found[index] = TimelineEvent(
                date=mention.date, sentence=page.text[start:end],
                document_id=mention.document_id, title=mention.title, page=mention.page,
                start=start, end=end, entity_ids=tuple(named))
    return [found[index] for index in sorted(found)]


def collection_timeline_page(*, session: Session, workspace_id: str, collection_id: str,
                             entity_id: str | None = None, date_from: date | None = None,
                             date_to: date | None = None, limit: int = 500,
                             offset: int = 0) -> TimelinePage:
    """One page of the timeline and how many events match (for the API's pager).

    A collection or entity of another workspace is not found (404). An entity merged into
    another stands for the survivor, whose mentions it now has.
    """
    _check(date_from=date_from, date_to=date_to, limit=limit, offset=offset)
    collections_service.get_collection(session=session, workspace_id=workspace_id,
                                       collection_id=collection_id)
    if entity_id is not None:
        entity_id = entities_service.get_entity(session=session, workspace_id=workspace_id,
                                                entity_id=entity_id).id
    query = _date_mentions(workspace_id=workspace_id, collection_id=collection_id,
                           entity_id=entity_id, date_from=date_from, date_to=date_to)
    if entity_id is None:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = [_DateMention(*row) for row in session.execute(query.limit(limit)
                                                              .offset(offset))]
        return TimelinePage(_events(session, workspace_id, rows, None), total)
    candidates = [_DateMention(*row) for row in session.execute(query)]
    events = _events(session, workspace_id, candidates, entity_id)
    return TimelinePage(events[offset:offset + limit], len(events))


def collection_timeline(*, session: Session, workspace_id: str, collection_id: str,
                        entity_id: str | None = None, date_from: date | None = None,
                        date_to: date | None = None, limit: int = 500,
                        offset: int = 0) -> list[TimelineEvent]:
    """Every dated sentence of the collection, sorted by date (a month before its days),
    then document title, page and position; `entity_id` keeps the sentences that mention
    that entity, `date_from`/`date_to` (inclusive) the dates in that range."""
    return collection_timeline_page(
        session=session, workspace_id=workspace_id, collection_id=collection_id,
        entity_id=entity_id, date_from=date_from, date_to=date_to, limit=limit,
        offset=offset).events

