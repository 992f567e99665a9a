"""The search page: results with their filters (collection, type, entity, review coding),
and the batch coding of every document a search matches."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from casework.api.deps import ReadSessionDep, RuntimeDep, SessionDep
from casework.collections import service as collections_service
from casework.core.errors import CaseworkError
from casework.entities import service as entities_service
from casework.review import batch as review_batch
from casework.review import service as review_service
from casework.review.coding import CodingEdit
from casework.search import service as search_service
from casework.search.filters import SearchFilters
from casework.search.service import SearchMode
from casework.web.deps import ViewerDep, WriterDep
from casework.web.router import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
CODED = "^(|responsive|not_responsive|needs_further_review|uncoded)$"
YES_NO = "^(|yes|no)$"


def _flag(value: str) -> bool | None:
    """A yes/no select; its empty value means "any"."""
    return {"yes": True, "no": False}.get(value)


def _filters(*, collection_id: str, type: str, entity_id: str | None, responsiveness: str,
             privileged: str, hot: str, issue: str) -> SearchFilters:
    return SearchFilters(collection_id=collection_id or None, media_type=type or None,
                         entity_id=entity_id, responsiveness=responsiveness or None,
                         privileged=_flag(privileged), hot=_flag(hot), issue=issue or None)


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request, viewer: ViewerDep, session: ReadSessionDep, runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=1000)] = "",
    mode: SearchMode = SearchMode.hybrid,
    collection_id: Annotated[str, Query(max_length=64)] = "",
    type: Annotated[str, Query(max_length=127)] = "",
    entity: Annotated[str, Query(max_length=64)] = "",
    responsiveness: Annotated[str, Query(pattern=CODED)] = "",
    privileged: Annotated[str, Query(pattern=YES_NO)] = "",
    hot: Annotated[str, Query(pattern=YES_NO)] = "",
    issue: Annotated[str, Query(max_length=100)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    coded: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
) -> HTMLResponse:
    """`entity` keeps the documents that mention it; the entities most of a page's hit
    documents mention are offered as such filters (facets). `coded` is the count a batch
    coding just changed (the page it redirects to says so)."""
    workspace_id = viewer.principal.workspace_id
    collections, _ = collections_service.list_collections(
        session=session, workspace_id=workspace_id, kind=None, limit=500, offset=0)
    chosen = entities_service.get_entity(session=session, workspace_id=workspace_id,
                                         entity_id=entity) if entity else None
    coding_filter = {"responsiveness": responsiveness, "privileged": privileged, "hot": hot,
                     "issue": issue}
    context: dict[str, object] = {
        "q": q, "mode": mode, "collection_id": collection_id, "type": type,
        "collections": collections, "hits": [], "collections_found": [], "warnings": [],
        "offset": offset, "error": None, "entity": chosen, "facets": [],
        "coding_filter": coding_filter, "coded": coded,
        "issues": [i for i, _ in review_service.list_issues(session=session,
                                                             workspace_id=workspace_id)]}
    if q.strip():
        try:
            result = search_service.search(
                session=session, runtime=runtime, workspace_id=workspace_id, text=q, mode=mode,
                filters=_filters(collection_id=collection_id, type=type,
                                 entity_id=chosen.id if chosen else None, **coding_filter),
                limit=PAGE_SIZE, offset=offset)
        except CaseworkError as exc:
            context["error"] = exc.message
        else:
            runtime.usage.record_search(workspace_id, result.took_ms, text=q,
                                        actor=viewer.principal.actor_id)
            params = {"q": q, "mode": mode, "collection_id": collection_id, "type": type,
                      "entity": entity, **coding_filter}
            facets = entities_service.entity_facets(
                session=session, workspace_id=workspace_id,
                document_ids=[h.document_id for h in result.hits if h.document_id])
            context.update(hits=result.hits, collections_found=result.collections,
                           warnings=result.warnings, facets=facets,
                           query_base=urlencode({k: v for k, v in params.items()
                                                 if k != "entity"}),
                           has_more=result.has_more, took_ms=result.took_ms,
                           query_prev=urlencode({**params, "offset": max(offset - PAGE_SIZE,
                                                                         0)}),
                           query_next=urlencode({**params, "offset": offset + PAGE_SIZE}))
    return render(request, viewer, "search.html", nav="search", **context)


@router.post("/search/code")
def batch_code(
    request: Request, viewer: WriterDep, session: SessionDep, runtime: RuntimeDep,
    q: Annotated[str, Form(max_length=1000)] = "",
    mode: Annotated[str, Form(max_length=16)] = "",
    collection_id: Annotated[str, Form(max_length=64)] = "",
    type: Annotated[str, Form(max_length=127)] = "",
    entity: Annotated[str, Form(max_length=64)] = "",
    responsiveness: Annotated[str, Form(pattern=CODED)] = "",
    privileged: Annotated[str, Form(pattern=YES_NO)] = "",
    hot: Annotated[str, Form(pattern=YES_NO)] = "",
    issue: Annotated[str, Form(max_length=100)] = "",
    set_responsiveness: Annotated[str, Form(pattern="^(|responsive|not_responsive|"
                                                    "needs_further_review|clear)$")] = "",
    set_hot: Annotated[str, Form(pattern=YES_NO)] = "",
    set_privileged: Annotated[str, Form(pattern=YES_NO)] = "",
    add_issue: Annotated[str, Form(max_length=100)] = "",
) -> RedirectResponse:
    """Every document the search (its words, keyword-matched, and its filters) finds gets
    the chosen coding; back on the results, the page says how many changed."""
    workspace_id = viewer.principal.workspace_id
    chosen = entities_service.get_entity(session=session, workspace_id=workspace_id,
                                         entity_id=entity) if entity else None
    coding_filter = {"responsiveness": responsiveness, "privileged": privileged, "hot": hot,
                     "issue": issue}
    edit = _batch_edit(set_responsiveness=set_responsiveness, set_hot=set_hot,
                       set_privileged=set_privileged, add_issue=add_issue)
    result = review_batch.batch_code(
        session=session, runtime=runtime, principal=viewer.principal, edit=edit, text=q,
        filters=_filters(collection_id=collection_id, type=type,
                         entity_id=chosen.id if chosen else None, **coding_filter))
    params = {"q": q, "mode": mode, "collection_id": collection_id, "type": type,
              "entity": entity, **coding_filter, "coded": result.changed}
    del request
    return RedirectResponse("/search?" + urlencode({k: v for k, v in params.items()
                                                   if v != ""}), status_code=303)


def _batch_edit(*, set_responsiveness: str, set_hot: str, set_privileged: str,
                add_issue: str) -> CodingEdit:
    given: set[str] = set()
    if set_responsiveness:
        given.add("responsiveness")
    if set_hot:
        given.add("hot")
    if set_privileged:
        given.add("privileged")
    if add_issue:
        given.add("issues")
    return CodingEdit(given=frozenset(given),
                      responsiveness=None if set_responsiveness in ("", "clear")
                      else set_responsiveness, hot=set_hot == "yes",
                      privileged=set_privileged == "yes",
                      add_issues=(add_issue,) if add_issue else ())
