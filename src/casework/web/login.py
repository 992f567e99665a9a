"""Sign-in and sign-out pages: the same account services as the API's cookie login.

The sign-in form is protected against login CSRF (a foreign page signing the victim in
to the attacker's account): GET /login sets a random pre-session cookie and the form
carries a token signed over it; a POST without both, or with a token for another cookie,
is refused. A foreign site can neither read the token nor set the cookie.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from casework.accounts import credentials, two_factor
from casework.accounts import service as accounts_service
from casework.accounts import sessions as login_sessions
from casework.api import deps as api_deps
from casework.api.deps import OriginDep, RuntimeDep, SessionDep
from casework.core.errors import CaseworkError, Forbidden
from casework.core.settings import Settings
from casework.web.deps import WORKSPACE_COOKIE, VisitorDep
from casework.web.router import render

router = APIRouter(include_in_schema=False)
LOGIN_COOKIE = "casework_login"
LOGIN_COOKIE_SECONDS = 3600


def _login_token(settings: Settings, nonce: str) -> str:
    return api_deps.csrf_token_for(settings, f"login:{nonce}")


def _check_login_token(request: Request, settings: Settings, sent: str) -> None:
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not sent or not credentials.same(
            sent, _login_token(settings, nonce)):
        raise Forbidden("this sign-in form has expired: reload the page and sign in again")


def _safe_next(target: str) -> str:
    """Only local paths: an open redirect would make our login page a phishing tool."""
    return target if target.startswith("/") and not target.startswith("//") else "/collections"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, runtime: RuntimeDep,
               next: Annotated[str, Query(max_length=500)] = "/collections") -> HTMLResponse:
    settings = runtime.settings
    nonce = request.cookies.get(LOGIN_COOKIE) or credentials.new_secret("cwl")
    response = render(request, None, "login.html", next=_safe_next(next), step="password",
                      login_token=_login_token(settings, nonce))
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=LOGIN_COOKIE_SECONDS, httponly=True,
                        secure=api_deps.cookie_secure(settings), samesite="lax", path="/")
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request, session: SessionDep, runtime: RuntimeDep, origin: OriginDep,
    next: Annotated[str, Form(max_length=500)] = "/collections",
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    pending_token: Annotated[str, Form(max_length=4096)] = "",
    code: Annotated[str, Form(max_length=64)] = "",
    login_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    settings = runtime.settings
    target = _safe_next(next)
    _check_login_token(request, settings, login_token)
    try:
        if pending_token:
            user = two_factor.complete_login(session=session, runtime=runtime,
                                             pending_token=pending_token, code=code,
                                             origin=origin)
            method = "cookie+2fa"
        else:
            user = accounts_service.authenticate_password(
                session=session, runtime=runtime, email=email, password=password,
                origin=origin)
            if user.totp_enabled:
                return render(request, None, "login.html", next=target, step="two_factor",
                              login_token=login_token,
                              pending_token=two_factor.issue_pending_token(
                                  settings=settings, user=user))
            method = "cookie"
    except CaseworkError as exc:
        # The page answers the refusal, so the session dependency commits as for any page:
        # the failed-login audit row and the lockout counters are kept.
        step = "two_factor" if pending_token else "password"
        return render(request, None, "login.html", exc.status_code, next=target, step=step,
                      email=email, pending_token=pending_token, error=exc.message,
                      login_token=login_token)
    accounts_service.finish_login(session=session, user=user, origin=origin, method=method)
    token, row = login_sessions.start_cookie_session(session=session, settings=settings,
                                                     user=user, origin=origin)
    response = RedirectResponse(target, status_code=303)
    api_deps.set_session_cookies(response, settings, token,
                                 api_deps.csrf_token_for(settings, row.id))
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, visitor: VisitorDep, session: SessionDep, runtime: RuntimeDep,
           origin: OriginDep) -> Response:
    del visitor  # signed in, CSRF checked
    login_sessions.logout(session=session, token=request.cookies.get(api_deps.SESSION_COOKIE,
                                                                      ""), origin=origin)
    response = RedirectResponse("/login", status_code=303)
    api_deps.clear_session_cookies(response, runtime.settings)
    response.delete_cookie(WORKSPACE_COOKIE, path="/")
    return response
