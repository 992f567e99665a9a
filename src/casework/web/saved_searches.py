"""The saved searches page: each saved search (run it, switch its alerts, delete it), and
the form on the search page that saves one. The same services as the API."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from casework.api.deps import ReadSessionDep, SessionDep
from casework.saved_searches import service as saved_service
from casework.saved_searches.service import MAX_NAME, MAX_QUERY
from casework.web.deps import ReaderDep, WriterDep
from casework.web.router import render

router = APIRouter(prefix="/search/saved", include_in_schema=False)


def _back() -> Response:
    return RedirectResponse("/search/saved", status_code=303)


@router.get("", response_class=HTMLResponse)
def saved_page(request: Request, viewer: ReaderDep, session: ReadSessionDep) -> HTMLResponse:
    saved = saved_service.list_saved_searches(session=session,
                                              workspace_id=viewer.principal.workspace_id)
    links = {s.id: "/search?" + urlencode({"q": s.query, "mode": "keyword",
                                           "collection_id": s.collection_id or ""})
             for s in saved}
    return render(request, viewer, "saved_searches.html", nav="search", saved=saved,
                  links=links)


@router.post("")
def save_search(viewer: WriterDep, session: SessionDep,
                name: Annotated[str, Form(max_length=MAX_NAME)],
                query: Annotated[str, Form(max_length=MAX_QUERY)],
                collection_id: Annotated[str, Form(max_length=32)] = "",
                alert_webhook: Annotated[bool, Form()] = False,
                alert_email: Annotated[bool, Form()] = False) -> Response:
    saved_service.create_saved_search(
        session=session, principal=viewer.principal, name=name, query=query,
        collection_id=collection_id or None, alert_webhook=alert_webhook,
        alert_email=alert_email)
    return _back()


@router.post("/{saved_search_id}/alerts")
def set_alerts(saved_search_id: str, viewer: WriterDep, session: SessionDep,
               alert_webhook: Annotated[bool, Form()] = False,
               alert_email: Annotated[bool, Form()] = False) -> Response:
    saved_service.update_saved_search(session=session, principal=viewer.principal,
                                      saved_search_id=saved_search_id,
                                      alert_webhook=alert_webhook, alert_email=alert_email)
    return _back()


@router.post("/{saved_search_id}/delete")
def delete(saved_search_id: str, viewer: WriterDep, session: SessionDep) -> Response:
    saved_service.delete_saved_search(session=session, principal=viewer.principal,
                                      saved_search_id=saved_search_id)
    return _back()
