"""The one place a caller becomes a principal, with every workspace policy applied.

The API (bearer token, API key, cookie, the CLI's local token) and the web pages both
call `resolve_principal` and `authorize`: a rule added here holds for every door at once,
and a door that builds a `Principal` by hand is a bug (the web UI once did, and skipped
the 2FA requirement).

Policies, in order: a suspended account is refused (401); the workspace must be one the
user is a member of, or the key's own (404 otherwise, never 403, so names do not leak);
a workspace with `require_2fa` refuses members without 2FA (403 `two_factor_required`;
API keys are not people and are not affected); then the role's or the key's scopes'
permissions decide (`authorize`, 403 `forbidden`). The local token of `casework serve`
(core/local_server.py) reads one workspace, and only from this machine: from any other
address it is refused (401), even when the token is right.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.accounts.models import Membership, Role, User
from casework.accounts.permissions import (
    ROLE_PERMISSIONS,
    Permission,
    Scope,
    permissions_for_scopes,
)
from casework.accounts.principal import CredentialKind, Principal
from casework.apikeys import service as apikeys_service
from casework.apikeys.models import ApiKey
from casework.core.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    TwoFactorRequired,
    Unauthorized,
)
from casework.core.origin import RequestOrigin
from casework.workspaces import service as workspaces_service

NOT_A_MEMBER = "workspace not found (or you are not a member)"
LOOPBACK = frozenset({"127.0.0.1", "::1"})
LOCAL_CLI_LABEL = "casework cli"


def resolve_membership(*, session: Session, user: User, named: str | None) -> tuple[str, Role]:
    """The workspace `named` (slug or id), or the user's obvious one when none is named."""
    if named:
        workspace = workspaces_service.find_workspace(session=session, slug_or_id=named)
        membership = workspace and session.scalars(select(Membership).where(
            Membership.workspace_id == workspace.id, Membership.user_id == user.id)).first()
        if not membership:
            raise NotFound(NOT_A_MEMBER)
        return membership.workspace_id, Role(membership.role)
    memberships = list(session.scalars(select(Membership).where(
        Membership.user_id == user.id).order_by(Membership.created_at)))
    if len(memberships) == 1:
        return memberships[0].workspace_id, Role(memberships[0].role)
    default = workspaces_service.find_workspace(session=session,
                                                slug_or_id=workspaces_service.DEFAULT_SLUG)
    for membership in memberships:
        if default is not None and membership.workspace_id == default.id:
            return membership.workspace_id, Role(membership.role)
    if not memberships:
        raise NotFound("you are not a member of any workspace yet: create one or accept "
                       "an invitation")
    raise InvalidInput("you are a member of several workspaces: name one in the "
                       "X-Workspace header (slug or id)")


def _principal_for_key(session: Session, key: ApiKey, named: str | None,
                       origin: RequestOrigin) -> Principal:
    if named:
        workspace = workspaces_service.find_workspace(session=session, slug_or_id=named)
        if workspace is None or workspace.id != key.workspace_id:
            raise NotFound(NOT_A_MEMBER)
    return Principal(
        workspace_id=key.workspace_id, user_id=None, role=None, api_key_id=key.id,
        permissions=permissions_for_scopes(apikeys_service.scopes_of(key)),
        label=f"key:{key.prefix}", via=CredentialKind.api_key, origin=origin)


def _principal_for_local_cli(session: Session, named: str | None,
                             origin: RequestOrigin) -> Principal:
    """The CLI on the server's own machine: it reads, in the workspace it names."""
    if origin.ip not in LOOPBACK:
        raise Unauthorized("the local token is accepted from this machine only")
    workspace = workspaces_service.find_workspace(
        session=session, slug_or_id=named or workspaces_service.DEFAULT_SLUG)
    if workspace is None:
        raise NotFound(NOT_A_MEMBER)
    return Principal(workspace_id=workspace.id, user_id=None, role=None,
                     permissions=permissions_for_scopes([Scope.read]), label=LOCAL_CLI_LABEL,
                     via=CredentialKind.local_token, origin=origin)


def _principal_for_user(session: Session, user: User, via: CredentialKind, named: str | None,
                        origin: RequestOrigin) -> Principal:
    if not user.is_active:
        raise Unauthorized("the account is disabled")
    workspace_id, role = resolve_membership(session=session, user=user, named=named)
    workspace = workspaces_service.get_workspace(session=session, workspace_id=workspace_id)
    if workspace.require_2fa and not user.totp_enabled:
        raise TwoFactorRequired("this workspace requires two-factor authentication: enable "
                                "it first (POST /api/v1/auth/2fa/setup, or the account page)")
    return Principal(workspace_id=workspace_id, user_id=user.id, role=role,
                     permissions=ROLE_PERMISSIONS[role], label=user.email, via=via,
                     origin=origin)


def resolve_principal(*, session: Session, via: CredentialKind, origin: RequestOrigin,
                      workspace: str | None, user: User | None = None,
                      api_key: ApiKey | None = None) -> Principal:
    """Who acts in which workspace: an API key's, the local CLI's, or a member's, after
    every policy. `via=local_token` means the caller has checked the token itself."""
    if api_key is not None:
        return _principal_for_key(session, api_key, workspace, origin)
    if via == CredentialKind.local_token:
        return _principal_for_local_cli(session, workspace, origin)
    if user is None:
        raise Unauthorized("authentication required")
    return _principal_for_user(session, user, via, workspace, origin)


def authorize(*, principal: Principal, permission: Permission) -> Principal:
    """The role's (or the key's scopes') permissions must include the one asked for."""
    if not principal.can(permission):
        raise Forbidden(f"your role does not allow this ({permission.value} is needed)")
    return principal
