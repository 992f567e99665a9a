"""Who is looking at a page: the session cookie, the chosen workspace, and CSRF on forms.

Pages authenticate with the same cookie session as the API (accounts.sessions). HTML forms
cannot send the X-CSRF-Token header, so a form POST carries the same signed token in a
hidden `csrf_token` field instead. The workspace shown is remembered in a plain cookie; it
is re-checked against the user's memberships on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.accounts import sessions as login_sessions
from casework.accounts.models import Membership, User
from casework.accounts.permissions import ROLE_PERMISSIONS
from casework.accounts.principal import CredentialKind, Principal
from casework.api import deps as api_deps
from casework.api.deps import OriginDep, ReadSessionDep, RuntimeDep
from casework.core.errors import CaseworkError, Forbidden, NotFound
from casework.workspaces import service as workspaces_service
from casework.workspaces.models import Workspace

WORKSPACE_COOKIE = "casework_workspace"


class LoginRequired(CaseworkError):
    """No valid session: pages answer with a redirect to the sign-in page."""

    status_code = 401
    code = "login_required"


@dataclass(frozen=True, slots=True)
class Viewer:
    principal: Principal
    user: User
    workspace: Workspace
    workspaces: list[Workspace]
    csrf_token: str


def _user_and_session(request: Request, session: Session) -> tuple[User, str]:
    cookie = request.cookies.get(api_deps.SESSION_COOKIE)
    if not cookie:
        raise LoginRequired("please sign in")
    try:
        user, row = login_sessions.user_for_cookie(session=session, token=cookie)
    except CaseworkError:
        raise LoginRequired("your session has ended; please sign in again") from None
    return user, row.id


async def get_viewer(request: Request, session: ReadSessionDep, runtime: RuntimeDep,
                     origin: OriginDep) -> Viewer:
    settings = runtime.settings
    user, session_id = _user_and_session(request, session)
    csrf = api_deps.csrf_token_for(settings, session_id)
    if request.method not in api_deps.SAFE_METHODS:
        form = await request.form()
        sent = str(form.get("csrf_token", "")) or request.headers.get(api_deps.CSRF_HEADER, "")
        if not sent or not api_deps.credentials.same(sent, csrf):
            raise Forbidden("this form has expired: reload the page and try again")
    named = request.cookies.get(WORKSPACE_COOKIE)
    try:
        workspace_id, role = api_deps.resolve_membership(session, user, named)
    except NotFound:
        if not named:
            raise
        workspace_id, role = api_deps.resolve_membership(session, user, None)
    workspace = workspaces_service.get_workspace(session=session, workspace_id=workspace_id)
    member_of = select(Membership.workspace_id).where(Membership.user_id == user.id)
    memberships = workspaces_service.list_workspaces(
        session=session, workspace_ids=list(session.scalars(member_of)))
    principal = Principal(workspace_id=workspace_id, user_id=user.id, role=role,
                          permissions=ROLE_PERMISSIONS[role], label=user.email,
                          via=CredentialKind.cookie, origin=origin)
    return Viewer(principal=principal, user=user, workspace=workspace, workspaces=memberships,
                  csrf_token=csrf)


ViewerDep = Annotated[Viewer, Depends(get_viewer)]
