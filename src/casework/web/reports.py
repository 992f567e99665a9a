"""The collection page's report and saved-question actions: ask for a report (one click),
download its files, save the question just asked, delete a saved one. Thin: each calls the
same service as the API and goes back to the collection page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Response
from fastapi.responses import RedirectResponse, StreamingResponse

from casework.api.deps import ReadSessionDep, RuntimeDep, SessionDep
from casework.reports import saved_questions
from casework.reports import service as reports_service
from casework.reports.models import ReportFormat
from casework.reports.router import file_response
from casework.web.deps import ViewerDep

router = APIRouter(include_in_schema=False)


def _back(collection_id: str, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/collections/{collection_id}#{anchor}", status_code=303)


@router.post("/collections/{collection_id}/reports")
def request_report(collection_id: str, viewer: ViewerDep, session: SessionDep,
                   runtime: RuntimeDep) -> Response:
    reports_service.request_report(session=session, runtime=runtime,
                                   principal=viewer.principal, collection_id=collection_id)
    return _back(collection_id, "reports")


@router.get("/reports/{report_id}/download")
def download_report(report_id: str, viewer: ViewerDep, session: ReadSessionDep,
                    runtime: RuntimeDep,
                    format: Annotated[ReportFormat, Query()] = ReportFormat.pdf,
                    ) -> StreamingResponse:
    """As the API's download, in the workspace the page shows (a link sends no header)."""
    found, chunks = reports_service.download_report(
        session=session, runtime=runtime, principal=viewer.principal, report_id=report_id,
        fmt=format)
    return file_response(found, chunks)


@router.post("/collections/{collection_id}/saved-questions")
def save_question(collection_id: str, viewer: ViewerDep, session: ReadSessionDep,
                  runtime: RuntimeDep,
                  question: Annotated[str, Form(min_length=1, max_length=1000)]) -> Response:
    saved_questions.save_question(session=session, runtime=runtime,
                                  principal=viewer.principal, collection_id=collection_id,
                                  text=question)
    return _back(collection_id, "saved-questions")


@router.post("/collections/{collection_id}/saved-questions/{question_id}/delete")
def delete_saved_question(collection_id: str, question_id: str, viewer: ViewerDep,
                          session: SessionDep) -> Response:
    saved_questions.delete_saved_question(session=session, principal=viewer.principal,
                                          collection_id=collection_id, question_id=question_id)
    return _back(collection_id, "saved-questions")
