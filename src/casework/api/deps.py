"""Dependencies as `Annotated` aliases: the runtime, sessions, and the acting principal.

The session dependency owns the transaction: it commits once after the route returns and
before the response is sent (scope="function"), or rolls back on any error - except an
error raised with `keep_changes`, whose flushed rows (a failed login's audit event, a
revoked token family) are committed before the error is answered.

Authentication: `Authorization: Bearer <access token | API key>`, `X-API-Key`, the web
UI's session cookie (writes then need the CSRF token), or the local server's token that
`casework search` sends (`X-Casework-Local-Token`, core/local_server.py). Authorisation
is not decided here: `get_principal` and `Require` hand the identity, the `X-Workspace`
header (slug or id) and the route's permission to `accounts.policy`, the one place the web
pages use too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Header, Request, Response
from sqlalchemy.orm import Session

from casework.accounts import credentials, policy
from casework.accounts import sessions as login_sessions
from casework.accounts.models import User
from casework.accounts.permissions import Permission
from casework.accounts.principal import CredentialKind, Principal
from casework.apikeys import service as apikeys_service
from casework.apikeys.models import ApiKey
from casework.core import local_server
from casework.core.database import transaction
from casework.core.errors import CaseworkError, Forbidden, Unauthorized
from casework.core.origin import RequestOrigin
from casework.core.settings import Environment, Settings
from casework.observability.logs import bind_principal
from casework.runtime import Runtime

__all__ = ["Principal"]

SESSION_COOKIE = "casework_session"
CSRF_COOKIE = "casework_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with transaction(runtime.sessions) as session:
        try:
            yield session
        except CaseworkError as exc:
            if exc.keep_changes:
                session.commit()
            raise


def get_read_session(runtime: RuntimeDep) -> Iterator[Session]:
    """For GET routes: never takes SQLite's write lock, so reads don't queue behind ingest."""
    with transaction(runtime.read_sessions) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]


def get_origin(request: Request) -> RequestOrigin:
    """Client IP as seen after the trusted-proxy middleware; the request id of the logs."""
    request_id = request.scope.get("casework.request_id") or request.headers.get("x-request-id")
    return RequestOrigin(ip=request.client.host if request.client else None,
                         user_agent=request.headers.get("user-agent"),
                         request_id=str(request_id)[:64] if request_id else None)


OriginDep = Annotated[RequestOrigin, Depends(get_origin)]


# --- who is calling ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Identity:
    via: CredentialKind
    user: User | None = None
    api_key: ApiKey | None = None


def csrf_token_for(settings: Settings, session_id: str) -> str:
    """Signed double-submit token: bound to the session, unguessable without SECRET_KEY."""
    return credentials.sign(settings.secret_key.get_secret_value(), f"csrf:{session_id}")


def _check_csrf(request: Request, settings: Settings, session_id: str) -> None:
    """Cookie-authenticated writes must prove they come from our own pages."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin and origin not in settings.cors_origins and \
            urlsplit(origin).netloc != request.headers.get("host"):
        raise Forbidden("cross-site request refused (Origin not allowed)")
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not credentials.same(sent, csrf_token_for(settings, session_id)):
        raise Forbidden("missing or wrong CSRF token: send the X-CSRF-Token header")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _api_key(session: Session, runtime: Runtime, secret: str) -> Identity:
    key = apikeys_service.authenticate(session=session, secret=secret)
    if apikeys_service.needs_touch(key):
        # Its own short write: GET routes read through a read-only session.
        with transaction(runtime.sessions) as write:
            apikeys_service.touch(session=write, key_id=key.id)
    return Identity(via=CredentialKind.api_key, api_key=key)


FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def _local_token(request: Request, sent: str) -> Identity:
    """The token this server wrote to local-server.json; where it may come from is policy."""
    published = getattr(request.app.state, "local_server", None)
    if published is None or not credentials.same(sent, published.token):
        raise Unauthorized("wrong local token: is this the server of your DATA_DIR?")
    if any(request.headers.get(name) for name in FORWARDING_HEADERS):
        # Relayed by a proxy on this machine: the caller is elsewhere.
        raise Unauthorized("the local token is accepted from this machine only")
    return Identity(via=CredentialKind.local_token)


def get_identity(request: Request, session: ReadSessionDep, runtime: RuntimeDep) -> Identity:
    settings = runtime.settings
    local_token = request.headers.get(local_server.TOKEN_HEADER)
    if local_token is not None:
        return _local_token(request, local_token.strip())
    api_key = request.headers.get("x-api-key")
    bearer = _bearer(request)
    if api_key:
        return _api_key(session, runtime, api_key.strip())
    if bearer and bearer.startswith(f"{apikeys_service.KEY_PREFIX}_"):
        return _api_key(session, runtime, bearer)
    if bearer:
        return Identity(via=CredentialKind.access_token,
                        user=login_sessions.user_for_access_token(
                            session=session, settings=settings, token=bearer))
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        user, row = login_sessions.user_for_cookie(session=session, token=cookie)
        _check_csrf(request, settings, row.id)
        return Identity(via=CredentialKind.cookie, user=user)
    raise Unauthorized("authentication required: send 'Authorization: Bearer <token>' or "
                       "an X-API-Key header", headers={"WWW-Authenticate": "Bearer"})


IdentityDep = Annotated[Identity, Depends(get_identity)]


def get_current_user(identity: IdentityDep) -> User:
    """Routes about the account itself (password, 2FA, own workspaces) need a person."""
    if identity.user is None:
        raise Forbidden("this needs a user login, not an API key")
    return identity.user


CurrentUserDep = Annotated[User, Depends(get_current_user)]


# --- in which workspace, with which permissions ---------------------------------------

def get_principal(
    identity: IdentityDep, session: ReadSessionDep, origin: OriginDep, runtime: RuntimeDep,
    x_workspace: Annotated[str | None, Header(max_length=120)] = None,
) -> Principal:
    """The same resolution as the web pages' (accounts.policy): one set of policies."""
    principal = policy.resolve_principal(session=session, via=identity.via, origin=origin,
                                         workspace=x_workspace, user=identity.user,
                                         api_key=identity.api_key)
    bind_principal(workspace=principal.workspace_id, user=principal.user_id or principal.label)
    note_activity(runtime, principal)
    return principal


def note_activity(runtime: Runtime, principal: Principal) -> None:
    """Usage analytics count a workspace's active users: people, not keys (in memory)."""
    if principal.user_id is not None:
        runtime.usage.record_active(principal.workspace_id, principal.user_id)


class Require:
    """`Depends(Require(Permission.write))`: the principal, if its permissions allow."""

    def __init__(self, permission: Permission | None) -> None:
        self.permission = permission  # None: read for safe methods, write otherwise

    def __call__(self, request: Request,
                 principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        return policy.authorize(principal=principal,
                                permission=self.permission or needed_for(request))


def needed_for(request: Request) -> Permission:
    """GET reads, anything else writes: a route that names nothing is still protected."""
    return Permission.read if request.method in SAFE_METHODS else Permission.write


# Routes say what they need; `PrincipalDep` derives it from the method (GET reads, the rest
# writes), so a route added without thinking about it is still protected.
PrincipalDep = Annotated[Principal, Depends(Require(None))]
CanRead = Annotated[Principal, Depends(Require(Permission.read))]
CanManageMembers = Annotated[Principal, Depends(Require(Permission.manage_members))]
CanManageKeys = Annotated[Principal, Depends(Require(Permission.manage_keys))]
CanReadAudit = Annotated[Principal, Depends(Require(Permission.read_audit))]
CanManageWorkspace = Annotated[Principal, Depends(Require(Permission.manage_workspace))]
CanDeleteWorkspace = Annotated[Principal, Depends(Require(Permission.delete_workspace))]
CanReadUsage = Annotated[Principal, Depends(Require(Permission.read_usage))]
CanManageWebhooks = Annotated[Principal, Depends(Require(Permission.manage_webhooks))]
CanManageHolds = Annotated[Principal, Depends(Require(Permission.manage_holds))]


def require_operator(request: Request, settings: SettingsDep) -> None:
    """Operator endpoints: the ADMIN_API_KEY, as a bearer token or X-Admin-Key."""
    expected = settings.admin_api_key.get_secret_value() if settings.admin_api_key else ""
    sent = request.headers.get("x-admin-key") or _bearer(request) or ""
    if not expected:
        raise Unauthorized("operator endpoints are off: set ADMIN_API_KEY")
    if not credentials.same(sent, expected):
        raise Unauthorized("operator endpoints need the ADMIN_API_KEY",
                           headers={"WWW-Authenticate": "Bearer"})


OperatorDep = Depends(require_operator)


def cookie_secure(settings: Settings) -> bool:
    return settings.environment == Environment.production


def set_session_cookies(response: Response, settings: Settings, token: str, csrf: str) -> None:
    """The web session: HttpOnly cookie for the session, a readable one for the CSRF token."""
    max_age = settings.session_cookie_hours * 3600
    secure = cookie_secure(settings)
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, httponly=True, secure=secure,
                        samesite="lax", path="/")
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, httponly=False, secure=secure,
                        samesite="lax", path="/")


def clear_session_cookies(response: Response, settings: Settings) -> None:
    secure = cookie_secure(settings)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True,
                           samesite="lax")
    response.delete_cookie(CSRF_COOKIE, path="/", secure=secure, samesite="lax")
