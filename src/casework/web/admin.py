"""Admin pages: members and roles, invitations, API keys, the audit log, usage, the daily
learning runs.

Every form calls the same service as the API, and the same permission table decides:
an editor who opens /admin sees a refusal page, not a broken form.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from casework.accounts.models import Role
from casework.accounts.permissions import Permission, Scope
from casework.api.deps import ReadSessionDep, RuntimeDep, SessionDep
from casework.apikeys import service as apikeys_service
from casework.audit import service as audit_service
from casework.core.errors import InvalidInput
from casework.learning import service as learning_service
from casework.runtime import Runtime
from casework.usage import service as usage_service
from casework.web.deps import AuditReaderDep, KeyManagerDep, MemberManagerDep, Viewer
from casework.web.router import render
from casework.workspaces import members as members_service

router = APIRouter(prefix="/admin", include_in_schema=False)
USAGE_DAY_CHOICES = (7, 30, 90, 365)
LEARNING_RUNS_SHOWN = 14


def _admin_page(request: Request, viewer: Viewer, session: ReadSessionDep, runtime: Runtime,
                *, action: str = "", outcome: str = "", since: str = "", days: int = 30,
                new_secret: str | None = None, new_invite: str | None = None,
                status_code: int = 200) -> HTMLResponse:
    workspace_id = viewer.principal.workspace_id
    since_at = None
    if since:
        try:  # the pattern lets 2024-13-45 through; the calendar does not
            since_at = datetime.fromisoformat(since).replace(tzinfo=UTC)
        except ValueError:
            raise InvalidInput(f"{since!r} is not a date (YYYY-MM-DD)") from None
    events, total = audit_service.list_events(
        session=session, workspace_id=workspace_id,
        filters=audit_service.AuditFilters(action=action or None, outcome=outcome or None,
                                           since=since_at),
        limit=100, offset=0)
    # The same permission as GET /api/v1/learning/runs; None hides the section.
    learning_runs = (learning_service.list_runs(session=session, workspace_id=workspace_id,
                                                limit=LEARNING_RUNS_SHOWN)
                     if viewer.principal.can(Permission.manage_workspace) else None)
    return render(
        request, viewer, "admin.html", status_code, nav="admin",
        members=members_service.list_members(session=session, workspace_id=workspace_id),
        invitations=members_service.list_invitations(session=session,
                                                     workspace_id=workspace_id),
        keys=apikeys_service.list_keys(session=session, workspace_id=workspace_id),
        events=events, events_total=total, filters={"action": action, "outcome": outcome,
                                                    "since": since},
        usage=usage_service.usage_report(
            session=session, workspace_id=workspace_id, days=days, meter=runtime.usage,
            term_min_people=runtime.settings.usage_term_min_users),
        usage_days=days, usage_day_choices=USAGE_DAY_CHOICES,
        roles=[r.value for r in Role], scopes=[s.value for s in Scope],
        learning_runs=learning_runs, new_secret=new_secret, new_invite=new_invite,
        now=datetime.now(UTC))


@router.get("", response_class=HTMLResponse)
def admin_page(
    request: Request, viewer: AuditReaderDep, session: ReadSessionDep, runtime: RuntimeDep,
    action: Annotated[str, Query(max_length=64)] = "",
    outcome: Annotated[str, Query(pattern="^(|ok|failed|denied)$")] = "",
    since: Annotated[str, Query(pattern=r"^(|\d{4}-\d{2}-\d{2})$")] = "",
    days: Annotated[int, Query(ge=1, le=usage_service.MAX_DAYS)] = 30,
) -> HTMLResponse:
    return _admin_page(request, viewer, session, runtime, action=action, outcome=outcome,
                       since=since, days=days)


@router.post("/members/{user_id}/role")
def change_role(user_id: str, viewer: MemberManagerDep, session: SessionDep,
                role: Annotated[Role, Form()]) -> Response:
    members_service.change_role(session=session, principal=viewer.principal, user_id=user_id,
                                role=role)
    return RedirectResponse("/admin#members", status_code=303)


@router.post("/members/{user_id}/remove")
def remove_member(user_id: str, viewer: MemberManagerDep, session: SessionDep) -> Response:
    members_service.remove_member(session=session, principal=viewer.principal, user_id=user_id)
    return RedirectResponse("/admin#members", status_code=303)


@router.post("/invitations", response_class=HTMLResponse)
def invite(request: Request, viewer: MemberManagerDep, session: SessionDep,
           runtime: RuntimeDep, role: Annotated[Role, Form()],
           email: Annotated[str, Form(max_length=320)] = "",
           days: Annotated[int, Form(ge=1, le=30)] = 7) -> HTMLResponse:
    _, token = members_service.create_invitation(session=session, principal=viewer.principal,
                                                 role=role, email=email or None, days=days)
    session.flush()
    return _admin_page(request, viewer, session, runtime, new_invite=token)


@router.post("/invitations/{invitation_id}/revoke")
def revoke_invitation(invitation_id: str, viewer: MemberManagerDep,
                      session: SessionDep) -> Response:
    members_service.revoke_invitation(session=session, principal=viewer.principal,
                                      invitation_id=invitation_id)
    return RedirectResponse("/admin#invitations", status_code=303)


@router.post("/keys", response_class=HTMLResponse)
def create_key(request: Request, viewer: KeyManagerDep, session: SessionDep,
               runtime: RuntimeDep, name: Annotated[str, Form(min_length=1, max_length=120)],
               scopes: Annotated[list[Scope], Form()],
               expires_in_days: Annotated[int | None, Form(ge=1, le=3650)] = None
               ) -> HTMLResponse:
    _, secret = apikeys_service.create_key(session=session, principal=viewer.principal,
                                           name=name, scopes=scopes,
                                           expires_in_days=expires_in_days)
    return _admin_page(request, viewer, session, runtime, new_secret=secret)


@router.post("/keys/{key_id}/revoke")
def revoke_key(key_id: str, viewer: KeyManagerDep, session: SessionDep) -> Response:
    apikeys_service.revoke_key(session=session, principal=viewer.principal, key_id=key_id)
    return RedirectResponse("/admin#keys", status_code=303)
