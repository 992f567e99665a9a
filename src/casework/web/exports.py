"""Export pages: ask for an export from a collection (or from photos selected in its
gallery), then follow it on its own page until the download link appears."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from casework.api.deps import ReadSessionDep, RuntimeDep, SessionDep
from casework.collections import service as collections_service
from casework.core.errors import InvalidInput
from casework.exports import links
from casework.exports import service as exports_service
from casework.exports.models import ExportPart, ExportStatus
from casework.exports.schemas import ExportOut
from casework.web.deps import ReaderDep, ViewerDep
from casework.web.router import render

router = APIRouter(include_in_schema=False)

DocumentIds = Annotated[list[str], Form(max_length=exports_service.MAX_SELECTION)]


@router.post("/collections/{collection_id}/exports")
def create_export(
    collection_id: str, viewer: ViewerDep, session: SessionDep, runtime: RuntimeDep,
    include: Annotated[list[str], Form(max_length=len(ExportPart))] = [],  # noqa: B006
    strip_gps: Annotated[str, Form(max_length=5)] = "",
    document_ids: DocumentIds = [],  # noqa: B006 - FastAPI copies form defaults
) -> Response:
    """The collection page's Export form and the gallery's "Export selected": same service
    as the API, then the export's own page."""
    known = {part.value for part in ExportPart}
    if any(part not in known for part in include) or \
            any(len(i) > 64 for i in document_ids):
        raise InvalidInput("unknown export part or document id")
    export = exports_service.create_export(
        session=session, runtime=runtime, principal=viewer.principal,
        collection_id=collection_id, include=[ExportPart(p) for p in include],
        strip_gps=bool(strip_gps), document_ids=document_ids or None)
    return RedirectResponse(f"/exports/{export.id}", status_code=303)


@router.get("/exports/{export_id}", response_class=HTMLResponse)
def export_page(request: Request, export_id: str, viewer: ReaderDep,
                session: ReadSessionDep, runtime: RuntimeDep) -> HTMLResponse:
    workspace_id = viewer.principal.workspace_id
    export = exports_service.get_export(session=session, workspace_id=workspace_id,
                                        export_id=export_id)
    collection = collections_service.get_collection(
        session=session, workspace_id=workspace_id, collection_id=export.collection_id)
    link = None
    if export.status == ExportStatus.succeeded:
        link = links.make_download_link(settings=runtime.settings, workspace_id=workspace_id,
                                        export_id=export.id,
                                        actor=links.link_actor(viewer.principal))
    shown = ExportOut.build(export, settings=runtime.settings, link=link)
    return render(request, viewer, "export.html", nav="collections", export=shown,
                  collection=collection,
                  running=export.status in (ExportStatus.queued, ExportStatus.running))
