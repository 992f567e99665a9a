"""Search route."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from casework.api.deps import PrincipalDep, ReadSessionDep, RuntimeDep
from casework.audit import service as audit
from casework.entities import service as entities_service
from casework.entities.schemas import EntityOut
from casework.search import service
from casework.search.filters import SearchFilters
from casework.search.schemas import SearchOut
from casework.search.service import SearchMode

router = APIRouter(tags=["search"])
Coded = Literal["responsive", "not_responsive", "needs_further_review", "uncoded"]


@router.get("/search", response_model=SearchOut)
async def search(
    session: ReadSessionDep, runtime: RuntimeDep, principal: PrincipalDep,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    mode: SearchMode = SearchMode.hybrid,
    collection_id: Annotated[str | None, Query(max_length=64)] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    media_type: Annotated[str | None, Query(alias="type", max_length=127)] = None,
    entity: Annotated[str | None, Query(max_length=64, description="Only documents that "
                                        "mention this entity (GET /entities)")] = None,
    responsiveness: Annotated[Coded | None, Query(description="Review coding (or "
                                                   "'uncoded')")] = None,
    privileged: bool | None = None,
    hot: bool | None = None,
    issue: Annotated[str | None, Query(max_length=100, description="A review issue's "
                                       "name")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> SearchOut:
    entity_id = None
    if entity is not None:  # a merged entity's id stands for its survivor
        entity_id = entities_service.get_entity(
            session=session, workspace_id=principal.workspace_id, entity_id=entity).id
    filters = SearchFilters(collection_id=collection_id, tag=tag, media_type=media_type,
                            entity_id=entity_id, responsiveness=responsiveness,
                            privileged=privileged, hot=hot, issue=issue)
    result = await run_in_threadpool(
        service.search, session=session, runtime=runtime, workspace_id=principal.workspace_id,
        text=q, mode=mode, filters=filters, limit=limit, offset=offset)
    runtime.usage.record_search(principal.workspace_id, result.took_ms, text=q,
                                actor=principal.actor_id)
    await run_in_threadpool(
        audit.record_search, sessions=runtime.sessions, limiter=runtime.limiter,
        window_seconds=runtime.settings.view_audit_window_seconds, principal=principal,
        query_hash=audit.query_digest(key=runtime.settings.secret_key.get_secret_value(),
                                      text=q),
        details={"mode": mode.value,
                 **{k: v for k, v in (("collection_id", collection_id), ("tag", tag),
                                      ("type", media_type), ("entity", entity),
                                      ("responsiveness", responsiveness), ("issue", issue))
                    if v},
                 **{k: v for k, v in (("privileged", privileged), ("hot", hot))
                    if v is not None}})
    facets = await run_in_threadpool(
        entities_service.entity_facets, session=session, workspace_id=principal.workspace_id,
        document_ids=[h.document_id for h in result.hits if h.document_id])
    return SearchOut.build(result, limit=limit, offset=offset,
                           entity_facets=[EntityOut.build(f) for f in facets])
