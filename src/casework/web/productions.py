"""Production pages: ask for a production set from a collection, follow the list of
productions (status, Bates range) and download a finished one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from pydantic import ValidationError

from casework.accounts.permissions import Permission
from casework.api.deps import ReadSessionDep, RuntimeDep, SessionDep
from casework.collections import service as collections_service
from casework.core.errors import InvalidInput
from casework.productions import service
from casework.productions.models import (
    FamilyPolicy,
    NativePolicy,
    ProductionStatus,
    StampPosition,
)
from casework.productions.router import create_production, download_production
from casework.productions.schemas import ProductionCreate, ProductionOut
from casework.web.deps import ReaderDep, WriterDep
from casework.web.router import render

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=200)]
NATIVE_CHOICES = (
    (NativePolicy.none, "None: image every document"),
    (NativePolicy.spreadsheets_and_media, "Spreadsheets, audio and video"),
    (NativePolicy.all, "Every document that may go out natively"),
)
FAMILY_CHOICES = (
    (FamilyPolicy.complete, "Complete: an e-mail with all its attachments"),
    (FamilyPolicy.as_selected, "As selected: only the documents chosen"),
)


@router.get("/productions", response_class=HTMLResponse)
def productions_page(request: Request, viewer: ReaderDep, session: ReadSessionDep,
                     collection: str = "") -> HTMLResponse:
    workspace_id = viewer.principal.workspace_id
    rows, total = service.list_productions(session=session, workspace_id=workspace_id,
                                           limit=100, offset=0)
    collections, _ = collections_service.list_collections(
        session=session, workspace_id=workspace_id, kind=None, limit=200, offset=0)
    return render(request, viewer, "productions.html", nav="collections",
                  productions=[ProductionOut.build(r) for r in rows], total=total,
                  collections=collections, chosen=collection[:64],
                  positions=[p.value for p in StampPosition],
                  native_choices=[(p.value, label) for p, label in NATIVE_CHOICES],
                  family_choices=[(p.value, label) for p, label in FAMILY_CHOICES],
                  can_write=viewer.principal.can(Permission.write),
                  running=any(r.status in (ProductionStatus.queued, ProductionStatus.running)
                              for r in rows))


@router.post("/productions")
def create(viewer: WriterDep, session: SessionDep, runtime: RuntimeDep,
           name: Text, collection_id: Text, bates_prefix: Text,
           start_number: Annotated[int, Form(ge=0, le=10**12)] = 1,
           digits: Annotated[int, Form(ge=1, le=12)] = 6,
           stamp_position: Text = StampPosition.bottom_right.value, legend: Text = "",
           volume: Text = "VOL001", responsive_only: Annotated[str, Form(max_length=5)] = "",
           natives: Text = NativePolicy.none.value,
           families: Text = FamilyPolicy.complete.value) -> Response:
    """The form: same checks and service as POST /api/v1/productions."""
    try:
        body = ProductionCreate(
            name=name, collection_id=collection_id, bates_prefix=bates_prefix,
            start_number=start_number, digits=digits, stamp_position=stamp_position,
            legend=legend or None, volume=volume, natives=natives, families=families,
            responsiveness="responsive" if responsive_only else None)
    except ValidationError as exc:
        raise InvalidInput("; ".join(str(e["msg"]) for e in exc.errors())) from None
    create_production(body, session, runtime, viewer.principal)
    return RedirectResponse("/productions", status_code=303)


@router.get("/productions/{production_id}/download")
def download(production_id: str, viewer: ReaderDep, session: ReadSessionDep,
             runtime: RuntimeDep) -> StreamingResponse:
    """As the API's download, in the workspace the page shows (a link sends no header)."""
    return download_production(production_id, session, runtime, viewer.principal)
