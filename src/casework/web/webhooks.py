"""The admin page of webhooks: endpoints, a form to add one (its secret shown once), and
each endpoint's latest deliveries with every attempt. The same services as the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from casework.api.deps import ReadSessionDep, RuntimeDep, SessionDep
from casework.web.deps import Viewer, WebhookManagerDep
from casework.web.router import render
from casework.webhooks import service as webhooks_service
from casework.webhooks.events import WebhookEvent
from casework.webhooks.service import EndpointChanges

router = APIRouter(prefix="/admin/webhooks", include_in_schema=False)
LOG_ROWS = 10


def _page(request: Request, viewer: Viewer, session: Session, *,
          new_secret: str | None = None) -> HTMLResponse:
    workspace_id = viewer.principal.workspace_id
    endpoints = webhooks_service.list_endpoints(session=session, workspace_id=workspace_id)
    logs = {e.id: webhooks_service.list_deliveries(
        session=session, workspace_id=workspace_id, endpoint_id=e.id, limit=LOG_ROWS,
        offset=0)[0] for e in endpoints}
    return render(request, viewer, "webhooks.html", nav="admin",
                  endpoints=endpoints, logs=logs, events=[e.value for e in WebhookEvent],
                  new_secret=new_secret)


def _back() -> Response:
    return RedirectResponse("/admin/webhooks", status_code=303)


@router.get("", response_class=HTMLResponse)
def webhooks_page(request: Request, viewer: WebhookManagerDep,
                  session: ReadSessionDep) -> HTMLResponse:
    return _page(request, viewer, session)


@router.post("", response_class=HTMLResponse)
def create_webhook(request: Request, viewer: WebhookManagerDep, session: SessionDep,
                   runtime: RuntimeDep, url: Annotated[str, Form(max_length=2000)],
                   events: Annotated[list[WebhookEvent], Form(max_length=10)],
                   description: Annotated[str, Form(max_length=200)] = "") -> HTMLResponse:
    _, secret = webhooks_service.create_endpoint(
        session=session, principal=viewer.principal, settings=runtime.settings, url=url,
        events=events, description=description)
    return _page(request, viewer, session, new_secret=secret)


@router.post("/{webhook_id}/active")
def set_active(webhook_id: str, viewer: WebhookManagerDep, session: SessionDep,
               runtime: RuntimeDep, active: Annotated[bool, Form()]) -> Response:
    webhooks_service.update_endpoint(session=session, principal=viewer.principal,
                                     settings=runtime.settings, endpoint_id=webhook_id,
                                     changes=EndpointChanges(active=active))
    return _back()


@router.post("/{webhook_id}/ping")
def ping(webhook_id: str, viewer: WebhookManagerDep, session: SessionDep,
         runtime: RuntimeDep) -> Response:
    webhooks_service.send_ping(session=session, principal=viewer.principal,
                               endpoint_id=webhook_id, notify=runtime.notify_jobs)
    return _back()


@router.post("/{webhook_id}/rotate", response_class=HTMLResponse)
def rotate(request: Request, webhook_id: str, viewer: WebhookManagerDep,
           session: SessionDep) -> HTMLResponse:
    _, secret = webhooks_service.rotate_secret(session=session, principal=viewer.principal,
                                               endpoint_id=webhook_id)
    return _page(request, viewer, session, new_secret=secret)


@router.post("/{webhook_id}/delete")
def delete(webhook_id: str, viewer: WebhookManagerDep, session: SessionDep) -> Response:
    webhooks_service.delete_endpoint(session=session, principal=viewer.principal,
                                     endpoint_id=webhook_id)
    return _back()
