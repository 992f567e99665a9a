"""Share pages for members: the workspace's links (who made each, its state, its views,
revoke), and creating one from the Share dialog of a document, collection or gallery when
the browser runs no script (with script the dialog calls the API and shows the link)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from casework.api.deps import ReadSessionDep, RuntimeDep, SessionDep
from casework.shares import service as shares_service
from casework.shares.models import ShareTarget
from casework.web.deps import Viewer, ViewerDep
from casework.web.router import render

router = APIRouter(prefix="/shares", include_in_schema=False)
PAGE_SIZE = 200


def _shares_page(request: Request, viewer: Viewer, session: ReadSessionDep, *,
                 new_link: str | None = None, status_code: int = 200) -> HTMLResponse:
    rows, total = shares_service.list_shares(
        session=session, workspace_id=viewer.principal.workspace_id, limit=PAGE_SIZE,
        offset=0)
    return render(request, viewer, "shares.html", status_code, nav="shares", rows=rows,
                  total=total, new_link=new_link)


@router.get("", response_class=HTMLResponse)
def shares_page(request: Request, viewer: ViewerDep, session: ReadSessionDep) -> HTMLResponse:
    return _shares_page(request, viewer, session)


@router.post("", response_class=HTMLResponse)
def create_share(
    request: Request, viewer: ViewerDep, session: SessionDep, runtime: RuntimeDep,
    target_type: Annotated[ShareTarget, Form()],
    target_id: Annotated[str, Form(min_length=1, max_length=64)],
    expires_in: Annotated[int, Form(ge=60, le=3650 * 86_400)] = 7 * 86_400,
    password: Annotated[str, Form(max_length=1024)] = "",
    allow_download: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    """The link is shown once, on the page this answers with."""
    settings = runtime.settings
    _, token = shares_service.create_share(
        session=session, principal=viewer.principal, target_type=target_type,
        target_id=target_id, expires_in=timedelta(seconds=expires_in),
        max_lifetime=timedelta(days=settings.share_max_days), password=password or None,
        allow_download=allow_download)
    base = shares_service.public_base(settings=settings, request_base=str(request.base_url))
    return _shares_page(request, viewer, session,
                        new_link=shares_service.link_url(base=base, token=token))


@router.post("/{share_id}/revoke")
def revoke_share(share_id: str, viewer: ViewerDep, session: SessionDep) -> Response:
    shares_service.revoke_share(session=session, principal=viewer.principal,
                                share_id=share_id)
    return RedirectResponse("/shares", status_code=303)
