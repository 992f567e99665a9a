"""The collection page's ingest progress panel: its figures (rendered with the page, then
polled by static/progress.js from the API), the failures CSV and "Retry failed only" for
browsers without JavaScript, through the same services as the API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from sqlalchemy.orm import Session

from casework.api.deps import ReadSessionDep, RuntimeDep, SessionDep
from casework.progress import failures, service
from casework.progress.schemas import FailuresOut, ProgressOut
from casework.runtime import Runtime
from casework.web.deps import ViewerDep

router = APIRouter(include_in_schema=False)

PANEL_FAILURES = 20


def stage_rows(progress: dict[str, Any]) -> list[dict[str, Any]]:
    """One bar per stage: how many of the documents it applies to are through it.
    static/progress.js computes the same rows from the polled JSON."""
    total, stages = progress["total"], progress["stages"]
    text, previews, vectors = stages["text"], stages["previews"], stages["vectors"]
    rows = [
        {"stage": "text", "label": "Text", "of": total, "ready": text["ready"],
         "pending": text["pending"], "failed": text["failed"]},
        {"stage": "previews", "label": "Previews",
         "of": total - previews["none"] - previews["blocked"], "ready": previews["ready"],
         "pending": previews["pending"], "failed": previews["failed"]},
        {"stage": "vectors", "label": "Vectors",
         "of": total - vectors["skipped"] - vectors["blocked"], "ready": vectors["ready"],
         "pending": vectors["pending"], "failed": vectors["failed"]},
    ]
    entities = stages["entities"]
    if entities["enabled"]:
        rows.append({"stage": "entities", "label": "Entities",
                     "of": entities["done"] + entities["pending"] + entities["failed"],
                     "ready": entities["done"], "pending": entities["pending"],
                     "failed": entities["failed"]})
    return rows


def panel(*, session: Session, runtime: Runtime, workspace_id: str,
          collection_id: str) -> dict[str, Any]:
    """What the panel shows when the page is rendered."""
    scope = service.collection_scope(session=session, workspace_id=workspace_id,
                                     collection_id=collection_id)
    measured = ProgressOut.build(scope, service.measure(
        session=session, scope=scope,
        entity_extraction=runtime.settings.entity_extraction)).model_dump(mode="json")
    rows, total = failures.list_failures(session=session, scope=scope,
                                         limit=PANEL_FAILURES, offset=0)
    return {"progress": measured, "rows": stage_rows(measured),
            "failures": FailuresOut.build(rows, total, limit=PANEL_FAILURES,
                                          offset=0).model_dump(mode="json")}


@router.get("/collections/{collection_id}/failures.csv", response_class=StreamingResponse)
def failures_csv(collection_id: str, viewer: ViewerDep,
                 session: ReadSessionDep) -> StreamingResponse:
    """The panel's download link: a plain link cannot send the API's workspace header."""
    scope = service.collection_scope(session=session, workspace_id=viewer.principal.workspace_id,
                                     collection_id=collection_id)
    body = "".join(failures.failures_csv(session=session, scope=scope))
    return StreamingResponse(iter([body]), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition":
                                      f"attachment; filename=failures-{scope.collection_id}.csv"})


@router.post("/collections/{collection_id}/retry-failed")
def retry_failed(collection_id: str, viewer: ViewerDep, session: SessionDep,
                 runtime: RuntimeDep) -> Response:
    """"Retry failed only" without JavaScript: the API's service, then back to the panel."""
    scope = service.collection_scope(session=session, workspace_id=viewer.principal.workspace_id,
                                     collection_id=collection_id)
    failures.retry_failed(session=session, runtime=runtime, principal=viewer.principal,
                          scope=scope)
    return RedirectResponse(f"/collections/{scope.collection_id}#ingest-progress",
                            status_code=303)
