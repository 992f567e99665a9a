"""Search route."""

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from casework.api.deps import PrincipalDep, ReadSessionDep, RuntimeDep
from casework.search import service
from casework.search.filters import SearchFilters
from casework.search.schemas import SearchOut
from casework.search.service import SearchMode

router = APIRouter(tags=["search"])


@router.get("/search", response_model=SearchOut)
async def search(
    session: ReadSessionDep, runtime: RuntimeDep, principal: PrincipalDep,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    mode: SearchMode = SearchMode.hybrid,
    collection_id: Annotated[str | None, Query(max_length=64)] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    media_type: Annotated[str | None, Query(alias="type", max_length=127)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> SearchOut:
    filters = SearchFilters(collection_id=collection_id, tag=tag, media_type=media_type)
    result = await run_in_threadpool(
        service.search, session=session, runtime=runtime, workspace_id=principal.workspace_id,
        text=q, mode=mode, filters=filters, limit=limit, offset=offset)
    await run_in_threadpool(runtime.usage.record_query, principal.workspace_id, result.took_ms)
    return SearchOut.build(result, limit=limit, offset=offset)
