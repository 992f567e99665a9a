"""Timeline route: a collection's dated sentences, filtered by entity and date range."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from casework.api.deps import PrincipalDep, ReadSessionDep
from casework.api.pagination import MAX_OFFSET
from casework.timeline import service
from casework.timeline.schemas import TimelineEventOut, TimelineOut

router = APIRouter(prefix="/collections", tags=["timeline"])
MAX_PAGE_EVENTS = 500


@router.get("/{collection_id}/timeline", response_model=TimelineOut)
def collection_timeline(
    collection_id: str, session: ReadSessionDep, principal: PrincipalDep,
    entity: Annotated[str | None, Query(max_length=64, description=(
        "Keep the events whose sentence mentions this entity."))] = None,
    date_from: Annotated[date | None, Query(alias="from", description=(
        "First day (YYYY-MM-DD), inclusive; a month overlapping it is kept."))] = None,
    date_to: Annotated[date | None, Query(alias="to", description=(
        "Last day (YYYY-MM-DD), inclusive."))] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_EVENTS)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> TimelineOut:
    page = service.collection_timeline_page(
        session=session, workspace_id=principal.workspace_id, collection_id=collection_id,
        entity_id=entity or None, date_from=date_from, date_to=date_to, limit=limit,
        offset=offset)
    return TimelineOut(events=[TimelineEventOut.build(e) for e in page.events],
                       total=page.total, limit=limit, offset=offset)
