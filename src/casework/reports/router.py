"""Report routes (ask for one, follow it, download its files) and saved questions."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import StreamingResponse

from casework.api.deps import PrincipalDep, ReadSessionDep, RuntimeDep, SessionDep
from casework.api.pagination import Page, PagingDep
from casework.reports import saved_questions, service
from casework.reports.models import ReportFormat
from casework.reports.schemas import ReportOut, SavedQuestionIn, SavedQuestionOut
from casework.reports.service import ReportFile

router = APIRouter(tags=["reports"])


def file_response(found: ReportFile, chunks: Iterator[bytes]) -> StreamingResponse:
    """A report file as an attachment, its SHA-256 in `ETag` and `Repr-Digest` (RFC 9530).
    The web page's download link answers the same way."""
    digest = base64.b64encode(bytes.fromhex(found.sha256)).decode()
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.filename)}",
               "Content-Length": str(found.size), "ETag": f'"{found.sha256}"',
               "Repr-Digest": f"sha-256=:{digest}:", "X-Content-Type-Options": "nosniff",
               # Opened in a browser anyway, the HTML runs nothing and loads nothing.
               "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                          "sandbox"}
    return StreamingResponse(chunks, media_type=found.media_type, headers=headers)


@router.post("/collections/{collection_id}/reports", response_model=ReportOut,
             status_code=status.HTTP_202_ACCEPTED)
def request_report(collection_id: str, session: SessionDep, runtime: RuntimeDep,
                   principal: PrincipalDep) -> ReportOut:
    """Queue the collection's report (PDF, HTML and the inventory CSV), written by a job;
    follow it with GET /reports/{id}. While one is queued or running, that one is
    answered instead of queueing another."""
    report, _ = service.request_report(session=session, runtime=runtime, principal=principal,
                                       collection_id=collection_id)
    return ReportOut.build(report)


@router.get("/collections/{collection_id}/reports", response_model=Page[ReportOut])
def list_reports(collection_id: str, session: ReadSessionDep, principal: PrincipalDep,
                 paging: PagingDep) -> Page[ReportOut]:
    rows, total = service.list_reports(session=session, workspace_id=principal.workspace_id,
                                       collection_id=collection_id, limit=paging.limit,
                                       offset=paging.offset)
    return Page(items=[ReportOut.build(r) for r in rows], total=total, limit=paging.limit,
                offset=paging.offset)


@router.get("/reports/{report_id}", response_model=ReportOut)
def get_report(report_id: str, session: ReadSessionDep, principal: PrincipalDep) -> ReportOut:
    return ReportOut.build(service.get_report(session=session,
                                              workspace_id=principal.workspace_id,
                                              report_id=report_id))


@router.get("/reports/{report_id}/download", response_class=StreamingResponse,
            responses={200: {"content": {"application/pdf": {}, "text/html": {},
                                         "text/csv": {}}},
                       409: {"description": "The report is not ready."}})
def download_report(report_id: str, session: ReadSessionDep, runtime: RuntimeDep,
                    principal: PrincipalDep,
                    format: Annotated[ReportFormat, Query()] = ReportFormat.pdf,
                    ) -> StreamingResponse:
    """The report's PDF or HTML, or the inventory CSV its footer's SHA-256 is of. Audited
    (`report.download`, naming the file's SHA-256); `Repr-Digest` carries it too."""
    found, chunks = service.download_report(session=session, runtime=runtime,
                                            principal=principal, report_id=report_id,
                                            fmt=format)
    return file_response(found, chunks)


@router.post("/collections/{collection_id}/saved-questions", response_model=SavedQuestionOut,
             status_code=status.HTTP_201_CREATED)
def save_question(collection_id: str, body: SavedQuestionIn, session: ReadSessionDep,
                  runtime: RuntimeDep, principal: PrincipalDep) -> SavedQuestionOut:
    """Answer the question from the collection's material now, and keep both: the
    collection's report quotes this answer and its citations."""
    saved = saved_questions.save_question(session=session, runtime=runtime,
                                          principal=principal, collection_id=collection_id,
                                          text=body.question, mode=body.mode)
    return SavedQuestionOut.build(saved)


@router.get("/collections/{collection_id}/saved-questions",
            response_model=list[SavedQuestionOut])
def list_saved_questions(collection_id: str, session: ReadSessionDep,
                         principal: PrincipalDep) -> list[SavedQuestionOut]:
    """Every saved question of the collection (at most 100), oldest first."""
    return [SavedQuestionOut.build(s) for s in saved_questions.list_saved_questions(
        session=session, workspace_id=principal.workspace_id, collection_id=collection_id)]


@router.delete("/collections/{collection_id}/saved-questions/{question_id}",
               status_code=status.HTTP_204_NO_CONTENT)
def delete_saved_question(collection_id: str, question_id: str, session: SessionDep,
                          principal: PrincipalDep) -> Response:
    saved_questions.delete_saved_question(session=session, principal=principal,
                                          collection_id=collection_id, question_id=question_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
