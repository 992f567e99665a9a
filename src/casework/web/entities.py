"""Entity pages: the entities of the workspace (or of one collection), and one entity with
every mention, each linking to its document's page with the mention highlighted."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from casework.api.deps import ReadSessionDep, SessionDep
from casework.collections import service as collections_service
from casework.entities import service as entities_service
from casework.entities.models import EntityKind
from casework.web.deps import ViewerDep
from casework.web.router import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/entities", response_class=HTMLResponse)
def entities_page(
    request: Request, viewer: ViewerDep, session: ReadSessionDep,
    kind: Annotated[str, Query(pattern="^(|" + "|".join(EntityKind) + ")$")] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    collection_id: Annotated[str, Query(max_length=64)] = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    workspace_id = viewer.principal.workspace_id
    collection = None
    if collection_id:
        collection = collections_service.get_collection(
            session=session, workspace_id=workspace_id, collection_id=collection_id)
    rows, total = entities_service.list_entities(
        session=session, workspace_id=workspace_id, kind=EntityKind(kind) if kind else None,
        q=q or None, collection_id=collection_id or None, limit=PAGE_SIZE, offset=offset)
    params = {k: v for k, v in {"kind": kind, "q": q, "collection_id": collection_id}.items()
              if v}
    return render(request, viewer, "entities.html", nav="entities", rows=rows, total=total,
                  kinds=list(EntityKind), kind=kind, q=q, collection=collection,
                  offset=offset, page_size=PAGE_SIZE,
                  query_prev=urlencode({**params, "offset": max(offset - PAGE_SIZE, 0)}),
                  query_next=urlencode({**params, "offset": offset + PAGE_SIZE}))


@router.get("/entities/{entity_id}", response_class=HTMLResponse)
def entity_page(request: Request, entity_id: str, viewer: ViewerDep, session: ReadSessionDep,
                offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> HTMLResponse:
    workspace_id = viewer.principal.workspace_id
    entity = entities_service.get_entity(session=session, workspace_id=workspace_id,
                                         entity_id=entity_id)
    counted = entities_service.count_entity(session=session, workspace_id=workspace_id,
                                            entity=entity)
    mentions, total = entities_service.list_mentions(
        session=session, workspace_id=workspace_id, entity_id=entity.id, limit=PAGE_SIZE,
        offset=offset)
    # Merge candidates: the same kind, most mentioned first.
    candidates, _ = entities_service.list_entities(
        session=session, workspace_id=workspace_id, kind=entity.kind, q=None,
        collection_id=None, limit=200, offset=0)
    return render(request, viewer, "entity.html", nav="entities", entity=counted,
                  mentions=mentions, total=total, offset=offset, page_size=PAGE_SIZE,
                  candidates=[c.entity for c in candidates if c.entity.id != entity.id])


@router.post("/entities/{entity_id}/merge")
def merge_entity(entity_id: str, viewer: ViewerDep, session: SessionDep,
                 into: Annotated[str, Form(min_length=1, max_length=64)]) -> Response:
    target = entities_service.merge_entities(session=session, principal=viewer.principal,
                                             entity_id=entity_id, into_id=into)
    return RedirectResponse(f"/entities/{target.id}", status_code=303)
