"""The ask page: a question over the workspace or one collection, answered with citations
that open the document's page with the quoted passage highlighted.

Works without JavaScript (the form is a GET and the answer is rendered here); with it and
a generator configured, app.js streams the answer from POST /api/v1/ask/stream instead.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from casework.api.deps import ReadSessionDep, RuntimeDep
from casework.ask import service as ask_service
from casework.collections import service as collections_service
from casework.core.errors import CaseworkError
from casework.web.deps import ViewerDep
from casework.web.router import render

router = APIRouter(include_in_schema=False)


@router.get("/ask", response_class=HTMLResponse)
def ask_page(
    request: Request, viewer: ViewerDep, session: ReadSessionDep, runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=1000)] = "",
    collection_id: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    workspace_id = viewer.principal.workspace_id
    collections, _ = collections_service.list_collections(
        session=session, workspace_id=workspace_id, kind=None, limit=500, offset=0)
    context: dict[str, object] = {
        "q": q, "collection_id": collection_id, "collections": collections, "answer": None,
        "error": None, "streams": runtime.settings.generator_configured}
    if q.strip():
        try:
            prepared = ask_service.prepare(
                session=session, runtime=runtime, workspace_id=workspace_id,
                question=ask_service.Question(text=q, collection_id=collection_id or None))
            answer = ask_service.answer_question(runtime=runtime, prepared=prepared)
        except CaseworkError as exc:
            context["error"] = exc.message
        else:
            ask_service.record_question(runtime=runtime, workspace_id=workspace_id,
                                        answer=answer)
            context["answer"] = answer
    return render(request, viewer, "ask.html", nav="search", **context)
