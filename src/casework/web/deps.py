"""Who is looking at a page: the session cookie, the chosen workspace, and CSRF on forms.

Pages authenticate with the same cookie session as the API (accounts.sessions) and get
their principal from the same `accounts.policy.resolve_principal` as the API, so a
workspace's policies (2FA, roles, suspended accounts) hold on pages exactly as on the API.
HTML forms cannot send the X-CSRF-Token header, so a form POST carries the same signed
token in a hidden `csrf_token` field instead. The workspace shown is remembered in a
cookie; it is re-checked against the user's memberships on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.accounts import policy
from casework.accounts import sessions as login_sessions
from casework.accounts.models import Membership, User
from casework.accounts.permissions import Permission
from casework.accounts.principal import CredentialKind, Principal
from casework.api import deps as api_deps
from casework.api.deps import OriginDep, ReadSessionDep, RuntimeDep
from casework.core.errors import CaseworkError, Forbidden
from casework.workspaces import service as workspaces_service
from casework.workspaces.models import Workspace

WORKSPACE_COOKIE = "casework_workspace"


class LoginRequired(CaseworkError):
    """No valid session: pages answer with a redirect to the sign-in page."""

    status_code = 401
    code = "login_required"


@dataclass(frozen=True, slots=True)
class Visitor:
    """Signed in, before any workspace policy: enough for the account page, the workspace
    switcher and signing out, which a member refused by a workspace still needs."""

    user: User
    workspaces: list[Workspace]
    csrf_token: str
    remembered: str | None  # the workspace cookie, if it names one of `workspaces`
    workspace: Workspace | None = None


@dataclass(frozen=True, slots=True)
class Viewer:
    """Signed in and allowed into `workspace` with `principal`'s permissions."""

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


async def get_visitor(request: Request, session: ReadSessionDep,
                      runtime: RuntimeDep) -> Visitor:
    settings = runtime.settings
    user, session_id = _user_and_session(request, session)
    csrf = api_deps.csrf_token_for(settings, session_id)
    if request.method not in api_deps.SAFE_METHODS:
        form = await request.form()
        sent = str(form.get("csrf_token", "")) or request.headers.get(api_deps.CSRF_HEADER, "")
        if not sent or not api_deps.credentials.same(sent, csrf):
            raise Forbidden("this form has expired: reload the page and try again")
    member_of = select(Membership.workspace_id).where(Membership.user_id == user.id)
    workspaces = workspaces_service.list_workspaces(
        session=session, workspace_ids=list(session.scalars(member_of)))
    named = request.cookies.get(WORKSPACE_COOKIE)
    # A workspace one has left (or never joined) is forgotten, not an error.
    remembered = named if named in {w.slug for w in workspaces} else None
    return Visitor(user=user, workspaces=workspaces, csrf_token=csrf, remembered=remembered)


VisitorDep = Annotated[Visitor, Depends(get_visitor)]


class Allow:
    """`Depends(Allow(Permission.manage_keys))`: the viewer, if the policies and the role
    allow. Without a permission: read for GET, write for every form POST."""

    def __init__(self, permission: Permission | None = None) -> None:
        self.permission = permission

    def __call__(self, request: Request, visitor: VisitorDep, session: ReadSessionDep,
                 origin: OriginDep, runtime: RuntimeDep) -> Viewer:
        principal = policy.resolve_principal(session=session, via=CredentialKind.cookie,
                                             origin=origin, workspace=visitor.remembered,
                                             user=visitor.user)
        policy.authorize(principal=principal,
                         permission=self.permission or api_deps.needed_for(request))
        api_deps.note_activity(runtime, principal)
        workspace = workspaces_service.get_workspace(session=session,
                                                     workspace_id=principal.workspace_id)
        return Viewer(principal=principal, user=visitor.user, workspace=workspace,
                      workspaces=visitor.workspaces, csrf_token=visitor.csrf_token)


def get_account_visitor(visitor: VisitorDep, session: ReadSessionDep,
                        origin: OriginDep) -> Visitor:
    """The account page shows the workspace menu when the workspace would let one in; a
    member refused by it (say, for 2FA) still reaches the page that fixes that."""
    try:
        principal = policy.resolve_principal(session=session, via=CredentialKind.cookie,
                                             origin=origin, workspace=visitor.remembered,
                                             user=visitor.user)
    except CaseworkError:
        return visitor
    workspace = workspaces_service.get_workspace(session=session,
                                                 workspace_id=principal.workspace_id)
    return Visitor(user=visitor.user, workspaces=visitor.workspaces,
                   csrf_token=visitor.csrf_token, remembered=visitor.remembered,
                   workspace=workspace)


ViewerDep = Annotated[Viewer, Depends(Allow())]
ReaderDep = Annotated[Viewer, Depends(Allow(Permission.read))]
WriterDep = Annotated[Viewer, Depends(Allow(Permission.write))]
AuditReaderDep = Annotated[Viewer, Depends(Allow(Permission.read_audit))]
MemberManagerDep = Annotated[Viewer, Depends(Allow(Permission.manage_members))]
KeyManagerDep = Annotated[Viewer, Depends(Allow(Permission.manage_keys))]
WebhookManagerDep = Annotated[Viewer, Depends(Allow(Permission.manage_webhooks))]
HoldManagerDep = Annotated[Viewer, Depends(Allow(Permission.manage_holds))]
AccountVisitorDep = Annotated[Visitor, Depends(get_account_visitor)]
