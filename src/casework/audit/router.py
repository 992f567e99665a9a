"""Audit routes: a workspace's admins read its log (JSON or CSV); operators read all of it."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from casework.api.deps import CanReadAudit, OperatorDep, ReadSessionDep, RuntimeDep
from casework.api.pagination import Page, PagingDep
from casework.audit import chain, export, service
from casework.audit.schemas import AuditEventOut, ChainReportOut

router = APIRouter(tags=["audit"])
CSV_MAX_ROWS = 100_000


def get_filters(
    action: Annotated[str | None, Query(max_length=64, description="Exact, or a prefix "
                                        "ending in '.', e.g. 'auth.'")] = None,
    outcome: Annotated[str | None, Query(max_length=16)] = None,
    actor_user_id: Annotated[str | None, Query(max_length=32)] = None,
    target_id: Annotated[str | None, Query(max_length=64)] = None,
    # With a time zone (2024-05-01T00:00:00Z): a naive time is ambiguous, and comparing it
    # with the stored aware times failed with a 500.
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
) -> service.AuditFilters:
    return service.AuditFilters(action=action, outcome=outcome, actor_user_id=actor_user_id,
                                target_id=target_id, since=since, until=until)


FiltersDep = Annotated[service.AuditFilters, Depends(get_filters)]


def _page(session: ReadSessionDep, workspace_id: str | None, filters: service.AuditFilters,
          limit: int, offset: int) -> Page[AuditEventOut]:
    rows, total = service.list_events(session=session, workspace_id=workspace_id,
                                      filters=filters, limit=limit, offset=offset)
    return Page(items=[AuditEventOut.model_validate(r) for r in rows], total=total,
                limit=limit, offset=offset)


def _csv(session: ReadSessionDep, workspace_id: str | None,
         filters: service.AuditFilters) -> StreamingResponse:
    rows, _ = service.list_events(session=session, workspace_id=workspace_id, filters=filters,
                                  limit=CSV_MAX_ROWS, offset=0)
    return StreamingResponse(service.to_csv(rows), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": "attachment; filename=audit.csv"})


@router.get("/audit", response_model=Page[AuditEventOut])
def list_events(session: ReadSessionDep, principal: CanReadAudit, paging: PagingDep,
                filters: FiltersDep) -> Page[AuditEventOut]:
    """This workspace's security events, newest first."""
    return _page(session, principal.workspace_id, filters, paging.limit, paging.offset)


@router.get("/audit.csv", response_class=StreamingResponse)
def download_events(session: ReadSessionDep, principal: CanReadAudit,
                    filters: FiltersDep) -> StreamingResponse:
    return _csv(session, principal.workspace_id, filters)


@router.get("/audit/verify", response_model=ChainReportOut)
def verify_chain(session: ReadSessionDep, principal: CanReadAudit) -> ChainReportOut:
    """Walk this workspace's hash chain: `ok`, or the first broken seq, the edited rows
    and the gaps. Says nothing about a chain rewritten whole: compare `head_hash` with one
    recorded elsewhere (docs/security.md)."""
    report = chain.verify_chain(session=session, workspace_id=principal.workspace_id)
    return ChainReportOut.model_validate(report.as_dict())


@router.get("/audit/export", response_class=StreamingResponse)
def export_log(runtime: RuntimeDep, principal: CanReadAudit,
               format: Literal["csv", "json"] = "json") -> StreamingResponse:
    """The whole log in chain order with its links, streamed; the export is itself an
    event (`audit.export`), written before the first byte."""
    service.record_read(sessions=runtime.sessions, principal=principal, action="audit.export",
                        details={"format": format})
    if format == "csv":
        body = export.export_csv(sessions=runtime.read_sessions,
                                 workspace_id=principal.workspace_id)
        media_type = "text/csv; charset=utf-8"
    else:
        body = export.export_json(sessions=runtime.read_sessions,
                                  workspace_id=principal.workspace_id)
        media_type = "application/json"
    return StreamingResponse(body, media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename=audit-log.{format}"})


operator_router = APIRouter(prefix="/operator", tags=["operator"], dependencies=[OperatorDep])


@operator_router.get("/audit", response_model=Page[AuditEventOut])
def operator_events(session: ReadSessionDep, paging: PagingDep,
                    filters: FiltersDep) -> Page[AuditEventOut]:
    """Every workspace's events and the account-level ones (logins, password changes)."""
    return _page(session, None, filters, paging.limit, paging.offset)


@operator_router.get("/audit.csv", response_class=StreamingResponse)
def operator_download(session: ReadSessionDep, filters: FiltersDep) -> StreamingResponse:
    return _csv(session, None, filters)
