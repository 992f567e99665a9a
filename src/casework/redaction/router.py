"""Redaction routes: a workspace's reasons; a document's redactions, search proposals, log
and redacted copy; a collection's proposals and log."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import StreamingResponse

from casework.api.deps import PrincipalDep, ReadSessionDep, RuntimeDep, SessionDep
from casework.core.errors import NotFound
from casework.redaction import finding, production, reasons, service
from casework.redaction.schemas import (
    FoundOut,
    ReasonIn,
    ReasonOut,
    RedactedCopyOut,
    RedactionOut,
    RedactionSearchIn,
    RedactionsIn,
)

router = APIRouter(tags=["redaction"])
LogFormat = Annotated[Literal["json", "csv"], Query()]


@router.get("/redaction-reasons", response_model=list[ReasonOut])
def list_reasons(session: ReadSessionDep, principal: PrincipalDep) -> list[ReasonOut]:
    """The built-in reasons, then the workspace's own."""
    return [ReasonOut.build(r) for r in reasons.list_reasons(
        session=session, workspace_id=principal.workspace_id)]


@router.post("/redaction-reasons", response_model=ReasonOut,
             status_code=status.HTTP_201_CREATED)
def add_reason(body: ReasonIn, session: SessionDep, principal: PrincipalDep) -> ReasonOut:
    return ReasonOut.build(reasons.add_reason(session=session, principal=principal,
                                              label=body.label))


@router.delete("/redaction-reasons/{reason_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_reason(reason_id: str, session: SessionDep, principal: PrincipalDep) -> Response:
    reasons.delete_reason(session=session, principal=principal, reason_id=reason_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/documents/{document_id}/redactions", response_model=list[RedactionOut])
def list_redactions(document_id: str, session: ReadSessionDep,
                    principal: PrincipalDep) -> list[RedactionOut]:
    return [RedactionOut.build(r) for r in service.list_redactions(
        session=session, workspace_id=principal.workspace_id, document_id=document_id)]


@router.post("/documents/{document_id}/redactions", response_model=list[RedactionOut],
             status_code=status.HTTP_201_CREATED)
def add_redactions(document_id: str, body: RedactionsIn, session: SessionDep,
                   principal: PrincipalDep) -> list[RedactionOut]:
    """Store boxes: one drawn on a page, or the search hits the user accepted. Audited
    (`redaction.create`)."""
    rows = service.add_redactions(session=session, principal=principal,
                                  document_id=document_id,
                                  items=[r.as_new() for r in body.redactions])
    return [RedactionOut.build(r) for r in rows]


@router.delete("/documents/{document_id}/redactions/{redaction_id}",
               status_code=status.HTTP_204_NO_CONTENT)
def delete_redaction(document_id: str, redaction_id: str, session: SessionDep,
                     principal: PrincipalDep) -> Response:
    service.delete_redaction(session=session, principal=principal, document_id=document_id,
                             redaction_id=redaction_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/documents/{document_id}/redactions/search", response_model=FoundOut)
def search_document(document_id: str, body: RedactionSearchIn, session: ReadSessionDep,
                    runtime: RuntimeDep, principal: PrincipalDep) -> FoundOut:
    """Proposals: where the presets, terms or pattern occur on the pages. Nothing is
    stored; send the hits to accept back to POST .../redactions."""
    patterns = finding.patterns_for(presets=list(body.presets), terms=body.terms,
                                    pattern=body.pattern)
    return FoundOut.build(finding.find_in_document(
        session=session, runtime=runtime, workspace_id=principal.workspace_id,
        document_id=document_id, patterns=patterns))


@router.post("/collections/{collection_id}/redactions/search", response_model=list[FoundOut])
def search_collection(collection_id: str, body: RedactionSearchIn, session: ReadSessionDep,
                      runtime: RuntimeDep, principal: PrincipalDep) -> list[FoundOut]:
    """Proposals for each PDF of the collection (the first 50 by file name)."""
    patterns = finding.patterns_for(presets=list(body.presets), terms=body.terms,
                                    pattern=body.pattern)
    return [FoundOut.build(f) for f in finding.find_in_collection(
        session=session, runtime=runtime, workspace_id=principal.workspace_id,
        collection_id=collection_id, patterns=patterns)]


def _log_response(rows: list[dict], fmt: str, name: str) -> Response:
    if fmt == "csv":
        return Response(service.log_csv(rows), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{name}-redaction-log.csv"'})
    return Response(content=json.dumps({"items": rows}),
                    media_type="application/json")


@router.get("/documents/{document_id}/redactions/log", response_class=Response)
def document_log(document_id: str, session: ReadSessionDep, principal: PrincipalDep,
                 format: LogFormat = "json") -> Response:
    """The redaction log: document, page, reason, who, when, region; JSON or CSV."""
    rows = service.log_rows(session=session, workspace_id=principal.workspace_id,
                            document_id=document_id)
    return _log_response(rows, format, document_id)


@router.get("/collections/{collection_id}/redactions/log", response_class=Response)
def collection_log(collection_id: str, session: ReadSessionDep, principal: PrincipalDep,
                   format: LogFormat = "json") -> Response:
    rows = service.log_rows(session=session, workspace_id=principal.workspace_id,
                            collection_id=collection_id)
    return _log_response(rows, format, collection_id)


@router.post("/documents/{document_id}/redacted-copy", response_model=RedactedCopyOut,
             status_code=status.HTTP_201_CREATED)
def produce_copy(document_id: str, session: SessionDep, runtime: RuntimeDep,
                 principal: PrincipalDep) -> RedactedCopyOut:
    """Draw the redacted copy now (redacted pages become pictures with boxes burnt in and
    an OCR text layer), then check it by reading it back. Audited (`redaction.produce`)."""
    copy = production.produce_copy(session=session, runtime=runtime, principal=principal,
                                   document_id=document_id)
    return RedactedCopyOut.build(copy, current_fingerprint=copy.fingerprint)


@router.get("/documents/{document_id}/redacted-copy", response_model=RedactedCopyOut)
def get_copy(document_id: str, session: ReadSessionDep,
             principal: PrincipalDep) -> RedactedCopyOut:
    workspace_id = principal.workspace_id
    current = service.list_redactions(session=session, workspace_id=workspace_id,
                                      document_id=document_id)
    copy = production.latest_copy(session=session, workspace_id=workspace_id,
                                  document_id=document_id)
    if copy is None:
        raise NotFound("no redacted copy has been produced yet")
    return RedactedCopyOut.build(copy, current_fingerprint=service.fingerprint(current))


@router.get("/documents/{document_id}/redacted-copy/download",
            response_class=StreamingResponse,
            responses={200: {"content": {"application/pdf": {}}},
                       409: {"description": "None produced yet, or it failed its check."}})
def download_copy(document_id: str, session: ReadSessionDep, runtime: RuntimeDep,
                  principal: PrincipalDep) -> StreamingResponse:
    """The redacted PDF, if it passed its check. Audited (`redaction.download`)."""
    copy, chunks = production.open_copy(session=session, runtime=runtime,
                                        principal=principal, document_id=document_id)
    digest = base64.b64encode(bytes.fromhex(copy.sha256)).decode()
    return StreamingResponse(chunks, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{document_id}-redacted.pdf"',
        "Content-Length": str(copy.size_bytes), "ETag": f'"{copy.sha256}"',
        "Repr-Digest": f"sha-256=:{digest}:", "X-Content-Type-Options": "nosniff"})
