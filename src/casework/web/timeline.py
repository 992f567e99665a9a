"""The timeline page: a collection's dated sentences down the page, grouped by date, each
citing its document and page; the citation opens that page with the sentence highlighted
(the ask page's link). Filters by entity and date range, as the API does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from casework.api.deps import ReadSessionDep
from casework.collections import service as collections_service
from casework.core.errors import InvalidInput
from casework.entities import service as entities_service
from casework.entities.models import Entity, EntityKind
from casework.timeline import service as timeline_service
from casework.timeline.service import TimelineEvent
from casework.web.deps import ViewerDep
from casework.web.router import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 200
# The entity filter lists the collection's most mentioned entities (dates left out).
FILTER_ENTITIES = 200
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")


@dataclass
class DateGroup:
    date: str  # ISO, as the events carry it
    label: str  # "3 March 2024", "March 2024"
    events: list[TimelineEvent] = field(default_factory=list)


def date_label(iso: str) -> str:
    year, month, *day = iso.split("-")
    name = f"{MONTH_NAMES[int(month) - 1]} {year}"
    return f"{int(day[0])} {name}" if day else name


def _day(value: str, name: str) -> date | None:
    """An empty date field means no bound (the form sends it empty)."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a date (YYYY-MM-DD)") from None


def _grouped(events: list[TimelineEvent]) -> list[DateGroup]:
    groups: list[DateGroup] = []
    for event in events:
        if not groups or groups[-1].date != event.date:
            groups.append(DateGroup(event.date, date_label(event.date)))
        groups[-1].events.append(event)
    return groups


@router.get("/collections/{collection_id}/timeline", response_class=HTMLResponse)
def timeline_page(
    request: Request, collection_id: str, viewer: ViewerDep, session: ReadSessionDep,
    entity: Annotated[str, Query(max_length=64)] = "",
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    workspace_id = viewer.principal.workspace_id
    collection = collections_service.get_collection(session=session, workspace_id=workspace_id,
                                                    collection_id=collection_id)
    page = timeline_service.collection_timeline_page(
        session=session, workspace_id=workspace_id, collection_id=collection.id,
        entity_id=entity or None, date_from=_day(date_from, "from"),
        date_to=_day(date_to, "to"), limit=PAGE_SIZE, offset=offset)
    counted, _ = entities_service.list_entities(
        session=session, workspace_id=workspace_id, kind=None, q=None,
        collection_id=collection.id, limit=FILTER_ENTITIES, offset=0)
    choices = [row.entity for row in counted if row.entity.kind != EntityKind.date]
    named = entities_service.entities_by_id(
        session=session, workspace_id=workspace_id,
        entity_ids=sorted({i for event in page.events for i in event.entity_ids}))
    chosen: Entity | None = None
    if entity:
        chosen = entities_service.get_entity(session=session, workspace_id=workspace_id,
                                             entity_id=entity)
        if chosen.id not in {c.id for c in choices}:
            choices.insert(0, chosen)
    params = {k: v for k, v in {"entity": chosen.id if chosen else "", "from": date_from,
                                "to": date_to}.items() if v}
    return render(request, viewer, "timeline.html", nav="collections", collection=collection,
                  groups=_grouped(page.events), shown=len(page.events), total=page.total,
                  offset=offset, page_size=PAGE_SIZE, choices=choices, chosen=chosen,
                  named=named, date_from=date_from, date_to=date_to, params=params,
                  query_prev=urlencode({**params, "offset": max(offset - PAGE_SIZE, 0)}),
                  query_next=urlencode({**params, "offset": offset + PAGE_SIZE}))
