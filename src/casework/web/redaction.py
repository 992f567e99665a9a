"""The document page's redaction mode: what the page shows (reasons, boxes, the copy) and
the form actions that work without JavaScript (delete a box, produce the copy, download
it, the log). Drawing boxes and accepting search hits go through the API from
static/redaction.js. Each action calls the same service as the API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from sqlalchemy.orm import Session

from casework.api.deps import ReadSessionDep, RuntimeDep, SessionDep
from casework.documents.models import Document
from casework.redaction import production, reasons, service
from casework.redaction.router import document_log, download_copy
from casework.web.deps import ViewerDep

router = APIRouter(include_in_schema=False)


def redaction_context(*, session: Session, workspace_id: str, document: Document
                      ) -> dict[str, Any]:
    """What the document page needs for its redaction section (PDFs only)."""
    if document.media_type != service.PDF:
        return {"redactions": None}
    redactions = service.list_redactions(session=session, workspace_id=workspace_id,
                                         document_id=document.id)
    copy = production.latest_copy(session=session, workspace_id=workspace_id,
                                  document_id=document.id)
    by_page: dict[int, list[Any]] = {}
    for r in redactions:
        by_page.setdefault(r.page, []).append(r)
    return {"redactions": redactions, "redactions_by_page": by_page,
            "redaction_reasons": reasons.list_reasons(session=session,
                                                      workspace_id=workspace_id),
            "redacted_copy": copy,
            "redacted_copy_stale": copy is not None and copy.fingerprint != service.fingerprint(
                redactions)}


def _back(document_id: str) -> RedirectResponse:
    return RedirectResponse(f"/documents/{document_id}#redaction", status_code=303)


@router.post("/documents/{document_id}/redactions/{redaction_id}/delete")
def delete_redaction(document_id: str, redaction_id: str, viewer: ViewerDep,
                     session: SessionDep) -> Response:
    service.delete_redaction(session=session, principal=viewer.principal,
                             document_id=document_id, redaction_id=redaction_id)
    return _back(document_id)


@router.post("/documents/{document_id}/redacted-copy")
def produce_copy(document_id: str, viewer: ViewerDep, session: SessionDep,
                 runtime: RuntimeDep) -> Response:
    production.produce_copy(session=session, runtime=runtime, principal=viewer.principal,
                            document_id=document_id)
    return _back(document_id)


@router.get("/documents/{document_id}/redacted-copy/download")
def download(document_id: str, viewer: ViewerDep, session: ReadSessionDep,
             runtime: RuntimeDep) -> StreamingResponse:
    """As the API's download, in the workspace the page shows (a link sends no header)."""
    return download_copy(document_id, session, runtime, viewer.principal)


@router.get("/documents/{document_id}/redactions/log")
def log(document_id: str, viewer: ViewerDep, session: ReadSessionDep,
        format: Annotated[Literal["json", "csv"], Query()] = "csv") -> Response:
    return document_log(document_id, session, viewer.principal, format)
