"""Ingest progress routes: per collection and per upload batch, counts by state and stage,
throughput and ETA, the failures (JSON and CSV), and "retry failed only"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.responses import StreamingResponse

from casework.api.deps import PrincipalDep, ReadSessionDep, RuntimeDep, SessionDep
from casework.api.pagination import Page, PagingDep
from casework.progress import failures, service
from casework.progress.schemas import (
    BatchOut,
    BatchProgressOut,
    FailuresOut,
    ProgressOut,
    RetriedOut,
)

router = APIRouter(tags=["ingest progress"])


def collection_scope(collection_id: str, session: ReadSessionDep,
                     principal: PrincipalDep) -> service.Scope:
    return service.collection_scope(session=session, workspace_id=principal.workspace_id,
                                    collection_id=collection_id)


def batch_scope(ingest_batch_id: str, session: ReadSessionDep,
                principal: PrincipalDep) -> service.Scope:
    return service.batch_scope(session=session, workspace_id=principal.workspace_id,
                               batch_id=ingest_batch_id)


CollectionScope = Annotated[service.Scope, Depends(collection_scope)]
BatchScope = Annotated[service.Scope, Depends(batch_scope)]


def _progress(session: ReadSessionDep, runtime: RuntimeDep, scope: service.Scope) -> ProgressOut:
    measured = service.measure(session=session, scope=scope,
                               entity_extraction=runtime.settings.entity_extraction)
    return ProgressOut.build(scope, measured)


def _failures(session: ReadSessionDep, scope: service.Scope, limit: int,
              offset: int) -> FailuresOut:
    rows, total = failures.list_failures(session=session, scope=scope, limit=limit,
                                         offset=offset)
    return FailuresOut.build(rows, total, limit=limit, offset=offset)


def _csv(session: ReadSessionDep, scope: service.Scope, name: str) -> StreamingResponse:
    # Read to the end here: the session closes once the handler returns.
    body = "".join(failures.failures_csv(session=session, scope=scope))
    return StreamingResponse(iter([body]), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition":
                                      f"attachment; filename=failures-{name}.csv"})


def _retry(session: SessionDep, runtime: RuntimeDep, principal: PrincipalDep,
           scope: service.Scope) -> RetriedOut:
    retried = failures.retry_failed(session=session, runtime=runtime, principal=principal,
                                    scope=scope)
    return RetriedOut(**retried.as_dict())


# --- per collection ----------------------------------------------------------------------

@router.get("/collections/{collection_id}/progress", response_model=ProgressOut)
def collection_progress(scope: CollectionScope, session: ReadSessionDep,
                        runtime: RuntimeDep) -> ProgressOut:
    """Every document of the collection: by state and stage, documents/s, ETA."""
    return _progress(session, runtime, scope)


@router.get("/collections/{collection_id}/failures", response_model=FailuresOut)
def collection_failures(collection_id: str, paging: PagingDep, session: ReadSessionDep,
                        principal: PrincipalDep) -> FailuresOut:
    """Failing documents by file name, a row per failed stage with its reason."""
    # The scope in the body, not as a dependency: a bad `limit` is a 422 before a 404.
    scope = collection_scope(collection_id, session, principal)
    return _failures(session, scope, paging.limit, paging.offset)


@router.get("/collections/{collection_id}/failures.csv", response_class=StreamingResponse)
def collection_failures_csv(scope: CollectionScope, session: ReadSessionDep
                            ) -> StreamingResponse:
    return _csv(session, scope, scope.collection_id)


@router.post("/collections/{collection_id}/retry-failed", response_model=RetriedOut,
             status_code=status.HTTP_202_ACCEPTED)
def retry_collection_failures(collection_id: str, session: SessionDep, runtime: RuntimeDep,
                              principal: PrincipalDep) -> RetriedOut:
    """Queue again only what failed: extraction for failed documents, the stage alone for
    failed previews, vectors or entities. Audited as `ingest.retry_failed`."""
    scope = service.collection_scope(session=session, workspace_id=principal.workspace_id,
                                     collection_id=collection_id)
    return _retry(session, runtime, principal, scope)


@router.get("/collections/{collection_id}/ingest-batches", response_model=Page[BatchOut])
def list_batches(collection_id: str, session: ReadSessionDep, principal: PrincipalDep,
                 paging: PagingDep) -> Page[BatchOut]:
    """The collection's upload batches (requests and `casework ingest` runs), newest first."""
    rows, total = service.list_batches(session=session, workspace_id=principal.workspace_id,
                                       collection_id=collection_id, limit=paging.limit,
                                       offset=paging.offset)
    return Page(items=[BatchOut.model_validate(r) for r in rows], total=total,
                limit=paging.limit, offset=paging.offset)


# --- per upload batch --------------------------------------------------------------------

@router.get("/ingest-batches/{ingest_batch_id}", response_model=BatchProgressOut)
def batch_progress(ingest_batch_id: str, scope: BatchScope, session: ReadSessionDep,
                   runtime: RuntimeDep, principal: PrincipalDep) -> BatchProgressOut:
    """Who sent the batch and when, its new documents and duplicates, and their progress."""
    batch = service.get_batch(session=session, workspace_id=principal.workspace_id,
                              batch_id=ingest_batch_id)
    new, duplicates = service.batch_counts(session=session, workspace_id=principal.workspace_id,
                                           batch_id=ingest_batch_id)
    return BatchProgressOut(batch=BatchOut.model_validate(batch), documents=new,
                            duplicates=duplicates, progress=_progress(session, runtime, scope))


@router.get("/ingest-batches/{ingest_batch_id}/failures", response_model=FailuresOut)
def batch_failures(ingest_batch_id: str, paging: PagingDep, session: ReadSessionDep,
                   principal: PrincipalDep) -> FailuresOut:
    scope = batch_scope(ingest_batch_id, session, principal)
    return _failures(session, scope, paging.limit, paging.offset)


@router.get("/ingest-batches/{ingest_batch_id}/failures.csv", response_class=StreamingResponse)
def batch_failures_csv(scope: BatchScope, session: ReadSessionDep) -> StreamingResponse:
    return _csv(session, scope, scope.batch_id or "")


@router.post("/ingest-batches/{ingest_batch_id}/retry-failed", response_model=RetriedOut,
             status_code=status.HTTP_202_ACCEPTED)
def retry_batch_failures(ingest_batch_id: str, session: SessionDep, runtime: RuntimeDep,
                         principal: PrincipalDep) -> RetriedOut:
    scope = service.batch_scope(session=session, workspace_id=principal.workspace_id,
                                batch_id=ingest_batch_id)
    return _retry(session, runtime, principal, scope)
