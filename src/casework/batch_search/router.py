"""Batch search routes: upload a CSV of terms (multipart, part `file`; optional field
`collection_id`), follow the run, read the counts, download them as CSV."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Header, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from casework.api.deps import PrincipalDep, ReadSessionDep, RuntimeDep, SessionDep
from casework.batch_search import service
from casework.batch_search.schemas import BatchOut, BatchSummaryOut
from casework.batch_search.terms import MAX_BYTES
from casework.core.errors import InvalidInput, PayloadTooLarge
from casework.ingest.upload import receive_multipart

router = APIRouter(prefix="/search/batches", tags=["search"])
MULTIPART_OVERHEAD = 16 * 1024


@router.post("", response_model=BatchOut, status_code=status.HTTP_202_ACCEPTED)
async def create_batch(request: Request, session: SessionDep, runtime: RuntimeDep,
                       principal: PrincipalDep,
                       content_length: Annotated[int | None, Header(ge=0)] = None) -> BatchOut:
    """A CSV of terms, one a row as `term[,label]` (a header row `term,label` is skipped):
    at most 500 terms and 256 KiB. Each term takes the search syntax: words (any of them),
    "phrases", "two words"~5, prefix*. The run is queued; poll the batch for its counts."""
    if content_length is not None and content_length > MAX_BYTES + MULTIPART_OVERHEAD:
        raise PayloadTooLarge(f"the CSV is larger than {MAX_BYTES // 1024} KiB")
    settings = runtime.settings
    form = await receive_multipart(
        content_type=request.headers.get("content-type"), stream=request.stream(),
        tmp_dir=settings.tmp_dir, max_file_bytes=MAX_BYTES, max_files=1)
    try:
        if not form.files:
            raise InvalidInput("send the CSV as a multipart part named `file`")
        upload = form.files[0]
        data = upload.path.read_bytes()
        batch = await run_in_threadpool(
            service.create_batch, session=session, principal=principal,
            filename=upload.filename, data=data,
            collection_id=form.fields.get("collection_id") or None,
            max_attempts=settings.job_max_attempts, notify=runtime.notify_jobs)
    finally:
        form.discard()
    return BatchOut.model_validate(batch)


@router.get("", response_model=list[BatchSummaryOut])
def list_batches(session: ReadSessionDep, principal: PrincipalDep) -> list[BatchSummaryOut]:
    """The workspace's latest 100 batch searches, newest first."""
    return [BatchSummaryOut.model_validate(b) for b in service.list_batches(
        session=session, workspace_id=principal.workspace_id)]


@router.get("/{batch_id}", response_model=BatchOut)
def get_batch(batch_id: str, session: ReadSessionDep, principal: PrincipalDep) -> BatchOut:
    return BatchOut.model_validate(service.get_batch(
        session=session, workspace_id=principal.workspace_id, batch_id=batch_id))


def _csv(lines: Iterator[str], filename: str) -> StreamingResponse:
    return StreamingResponse(lines, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f"attachment; filename={filename}"})


@router.get("/{batch_id}/results.csv", response_class=StreamingResponse)
def download_results(batch_id: str, session: ReadSessionDep,
                     principal: PrincipalDep) -> StreamingResponse:
    """label, term, documents, unique_documents: one row per term (409 until ready)."""
    batch = service.get_batch(session=session, workspace_id=principal.workspace_id,
                              batch_id=batch_id)
    return _csv(iter(list(service.summary_csv(batch=batch))), f"batch-{batch.id}.csv")


@router.get("/{batch_id}/hits.csv", response_class=StreamingResponse)
def download_hits(batch_id: str, session: ReadSessionDep,
                  principal: PrincipalDep) -> StreamingResponse:
    """label, term, document_id, filename, collection_id: the documents behind each count
    (up to 500 per term)."""
    batch = service.get_batch(session=session, workspace_id=principal.workspace_id,
                              batch_id=batch_id)
    rows = list(service.hits_csv(session=session, batch=batch))  # before the session closes
    return _csv(iter(rows), f"batch-{batch.id}-hits.csv")
