"""The batch search pages: upload a CSV of terms, see the workspace's batches, and one
batch's table of per-term counts with its CSV downloads. The same services as the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from casework.api.deps import ReadSessionDep, RuntimeDep, SessionDep
from casework.batch_search import service as batch_service
from casework.batch_search.terms import MAX_BYTES
from casework.collections import service as collections_service
from casework.core.errors import PayloadTooLarge
from casework.web.deps import ReaderDep, WriterDep
from casework.web.router import render

router = APIRouter(prefix="/search/batch", include_in_schema=False)
COLLECTION_CHOICES = 500


@router.get("", response_class=HTMLResponse)
def batches_page(request: Request, viewer: ReaderDep, session: ReadSessionDep) -> HTMLResponse:
    workspace_id = viewer.principal.workspace_id
    collections, _ = collections_service.list_collections(
        session=session, workspace_id=workspace_id, kind=None, limit=COLLECTION_CHOICES,
        offset=0)
    return render(request, viewer, "batch_search.html", nav="search",
                  batches=batch_service.list_batches(session=session, workspace_id=workspace_id),
                  collections=sorted(collections, key=lambda c: c.name.lower()))


@router.post("")
async def upload_terms(viewer: WriterDep, session: SessionDep, runtime: RuntimeDep,
                       file: Annotated[UploadFile, File()],
                       collection_id: Annotated[str, Form(max_length=32)] = "") -> Response:
    data = await file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(f"the CSV is larger than {MAX_BYTES // 1024} KiB")
    batch = await run_in_threadpool(
        batch_service.create_batch, session=session, principal=viewer.principal,
        filename=file.filename or "terms.csv", data=data, collection_id=collection_id or None,
        max_attempts=runtime.settings.job_max_attempts, notify=runtime.notify_jobs)
    return RedirectResponse(f"/search/batch/{batch.id}", status_code=303)


@router.get("/{batch_id}", response_class=HTMLResponse)
def batch_page(request: Request, batch_id: str, viewer: ReaderDep,
               session: ReadSessionDep) -> HTMLResponse:
    batch = batch_service.get_batch(session=session, workspace_id=viewer.principal.workspace_id,
                                    batch_id=batch_id)
    return render(request, viewer, "batch_search_result.html", nav="search", batch=batch)
