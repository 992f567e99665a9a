"""The near-duplicates page of a collection: each group with its pivot first and every
member's similarity to it, each a link to the document; for admins, the button that signs
the workspace's documents stored before near-duplicates existed (the API's backfill)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from casework.accounts.permissions import Permission
from casework.api.deps import ReadSessionDep, RuntimeDep
from casework.collections import service as collections_service
from casework.neardup import backfill
from casework.neardup import service as neardup_service
from casework.web.deps import Allow, ReaderDep, Viewer
from casework.web.router import render

router = APIRouter(include_in_schema=False)
WorkspaceManagerDep = Annotated[Viewer, Depends(Allow(Permission.manage_workspace))]


@router.get("/collections/{collection_id}/near-duplicates", response_class=HTMLResponse)
def near_duplicates_page(
    request: Request, collection_id: str, viewer: ReaderDep, session: ReadSessionDep,
    runtime: RuntimeDep, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    queued: Annotated[int | None, Query(ge=0, le=100_000_000)] = None,
) -> HTMLResponse:
    workspace_id = viewer.principal.workspace_id
    collection = collections_service.get_collection(session=session, workspace_id=workspace_id,
                                                    collection_id=collection_id)
    groups, total = neardup_service.list_groups(session=session, workspace_id=workspace_id,
                                                collection_id=collection.id, offset=offset)
    return render(request, viewer, "near_duplicates.html", nav="collections",
                  collection=collection, groups=groups, total=total, offset=offset,
                  page_size=neardup_service.GROUPS_PAGE,
                  threshold=runtime.settings.near_duplicate_threshold, queued=queued,
                  can_backfill=viewer.principal.can(Permission.manage_workspace))


@router.post("/collections/{collection_id}/near-duplicates/backfill")
def backfill_near_duplicates(collection_id: str, viewer: WorkspaceManagerDep,
                             session: ReadSessionDep, runtime: RuntimeDep) -> RedirectResponse:
    """The API's backfill, for the whole workspace; back to the page, saying how many."""
    collection = collections_service.get_collection(
        session=session, workspace_id=viewer.principal.workspace_id,
        collection_id=collection_id)
    queued = backfill.backfill_signatures(runtime=runtime, principal=viewer.principal)
    return RedirectResponse(f"/collections/{collection.id}/near-duplicates?queued={queued}",
                            status_code=303)
