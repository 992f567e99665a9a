"""The legal holds page: every hold of the workspace (active first), a form to place one on
a collection or a custodian, and a release button that asks why. The same services as the
API: members who read see the page, `manage_holds` places and releases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from casework.accounts.permissions import Permission
from casework.api.deps import ReadSessionDep, SessionDep
from casework.collections import service as collections_service
from casework.holds import service as holds_service
from casework.holds.service import MAX_NAME, MAX_TEXT, HoldTarget
from casework.web.deps import HoldManagerDep, ReaderDep
from casework.web.router import render

router = APIRouter(prefix="/holds", include_in_schema=False)
COLLECTION_CHOICES = 500


@router.get("", response_class=HTMLResponse)
def holds_page(request: Request, viewer: ReaderDep, session: ReadSessionDep) -> HTMLResponse:
    workspace_id = viewer.principal.workspace_id
    collections, _ = collections_service.list_collections(
        session=session, workspace_id=workspace_id, kind=None, limit=COLLECTION_CHOICES,
        offset=0)
    return render(request, viewer, "holds.html", nav="holds",
                  holds=holds_service.list_holds(session=session, workspace_id=workspace_id),
                  collections=sorted(collections, key=lambda c: c.name.lower()),
                  can_manage=viewer.principal.can(Permission.manage_holds))


@router.post("")
def place_hold(viewer: HoldManagerDep, session: SessionDep,
               name: Annotated[str, Form(max_length=MAX_NAME)],
               matter: Annotated[str, Form(max_length=MAX_TEXT)],
               collection_id: Annotated[str, Form(max_length=32)] = "",
               custodian: Annotated[str, Form(max_length=MAX_NAME)] = "") -> Response:
    # An empty select or text box means "not this one".
    holds_service.place_hold(session=session, principal=viewer.principal, name=name,
                             matter=matter, target=HoldTarget(
                                 collection_id=collection_id or None,
                                 custodian=custodian.strip() or None))
    return RedirectResponse("/holds", status_code=303)


@router.post("/{hold_id}/release")
def release_hold(hold_id: str, viewer: HoldManagerDep, session: SessionDep,
                 reason: Annotated[str, Form(max_length=MAX_TEXT)]) -> Response:
    holds_service.release_hold(session=session, principal=viewer.principal, hold_id=hold_id,
                               reason=reason)
    return RedirectResponse("/holds", status_code=303)
