"""Authentication routes: sign-up, login (tokens or cookie), 2FA, refresh, passwords."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.accounts import service, sessions, two_factor
from casework.accounts.models import Membership, User
from casework.accounts.schemas import (
    CodeIn,
    CookieLoginIn,
    CookieSessionOut,
    EnrolmentOut,
    LoginIn,
    LoginOut,
    MembershipOut,
    MeOut,
    PasswordChangeIn,
    PasswordResetIn,
    PasswordResetRequestIn,
    RecoveryCodesOut,
    RefreshIn,
    SecondFactorIn,
    SignupIn,
    TokensOut,
    TwoFactorDisableIn,
    UserOut,
)
from casework.api.deps import (
    SESSION_COOKIE,
    CurrentUserDep,
    IdentityDep,
    OriginDep,
    ReadSessionDep,
    RuntimeDep,
    SessionDep,
    clear_session_cookies,
    csrf_token_for,
    set_session_cookies,
)
from casework.core.errors import NotFound, SecondFactorNeeded
from casework.workspaces.models import Workspace

router = APIRouter(prefix="/auth", tags=["auth"])


def _user_out(user: object) -> UserOut:
    out = UserOut.model_validate(user)
    out.two_factor_enabled = bool(getattr(user, "totp_enabled", False))
    return out


def _fresh(session: Session, user: User) -> User:
    """The user as a row of this (write) session; the dependency read it in another."""
    row = session.get(User, user.id)
    if row is None:
        raise NotFound("account not found")
    return row


def _tokens(pair: sessions.TokenPair) -> TokensOut:
    return TokensOut(access_token=pair.access_token, expires_at=pair.access_expires_at,
                     refresh_token=pair.refresh_token,
                     refresh_expires_at=pair.refresh_expires_at)


@router.post("/signup", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def signup(body: SignupIn, session: SessionDep, runtime: RuntimeDep,
           origin: OriginDep) -> UserOut:
    """Open sign-up, or with an invitation token when SIGNUP_MODE=invite."""
    return _user_out(service.signup(
        session=session, runtime=runtime, email=body.email, password=body.password,
        display_name=body.display_name, invitation_token=body.invitation_token, origin=origin))


@router.post("/login", response_model=LoginOut)
def login(body: LoginIn, session: SessionDep, runtime: RuntimeDep,
          origin: OriginDep) -> LoginOut:
    """Tokens, or a pending token when two-factor authentication is on."""
    user = service.authenticate_password(session=session, runtime=runtime, email=body.email,
                                         password=body.password, origin=origin)
    if user.totp_enabled:
        return LoginOut(two_factor_required=True, pending_token=two_factor.issue_pending_token(
            settings=runtime.settings, user=user))
    service.finish_login(session=session, user=user, origin=origin, method="password")
    return LoginOut(tokens=_tokens(sessions.issue_token_pair(
        session=session, settings=runtime.settings, user=user, origin=origin)))


@router.post("/2fa/verify", response_model=TokensOut)
def verify_second_factor(body: SecondFactorIn, session: SessionDep, runtime: RuntimeDep,
                         origin: OriginDep) -> TokensOut:
    user = two_factor.complete_login(session=session, runtime=runtime,
                                     pending_token=body.pending_token, code=body.code,
                                     origin=origin)
    service.finish_login(session=session, user=user, origin=origin, method="password+2fa")
    return _tokens(sessions.issue_token_pair(session=session, settings=runtime.settings,
                                             user=user, origin=origin))


@router.post("/refresh", response_model=TokensOut)
def refresh(body: RefreshIn, session: SessionDep, runtime: RuntimeDep,
            origin: OriginDep) -> TokensOut:
    """Single use: returns a new refresh token; reusing an old one ends the whole login."""
    return _tokens(sessions.rotate_refresh_token(session=session, settings=runtime.settings,
                                                 token=body.refresh_token, origin=origin))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(body: RefreshIn, session: SessionDep, origin: OriginDep) -> Response:
    sessions.logout(session=session, token=body.refresh_token, origin=origin)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/session", response_model=CookieSessionOut)
def cookie_login(body: CookieLoginIn, response: Response, session: SessionDep,
                 runtime: RuntimeDep, origin: OriginDep) -> CookieSessionOut:
    """The web UI's login: an HttpOnly session cookie plus a CSRF token for writes."""
    settings = runtime.settings
    user = service.authenticate_password(session=session, runtime=runtime, email=body.email,
                                         password=body.password, origin=origin)
    if user.totp_enabled:
        if not body.code:
            raise SecondFactorNeeded("two-factor authentication is on: send 'code' too")
        two_factor.complete_login(
            session=session, runtime=runtime, code=body.code or "", origin=origin,
            pending_token=two_factor.issue_pending_token(settings=settings, user=user))
    service.finish_login(session=session, user=user, origin=origin, method="cookie")
    token, row = sessions.start_cookie_session(session=session, settings=settings, user=user,
                                               origin=origin)
    csrf = csrf_token_for(settings, row.id)
    set_session_cookies(response, settings, token, csrf)
    return CookieSessionOut(user=_user_out(user), csrf_token=csrf)


@router.delete("/session", status_code=status.HTTP_204_NO_CONTENT)
def cookie_logout(request: Request, identity: IdentityDep, session: SessionDep,
                  runtime: RuntimeDep, origin: OriginDep) -> Response:
    """Ends the cookie session (its CSRF token is checked like on any cookie write)."""
    del identity  # authenticates the cookie and checks the CSRF token
    sessions.logout(session=session, token=request.cookies.get(SESSION_COOKIE, ""),
                    origin=origin)
    result = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookies(result, runtime.settings)
    return result


@router.get("/me", response_model=MeOut)
def me(user: CurrentUserDep, session: ReadSessionDep) -> MeOut:
    rows = session.execute(select(Membership, Workspace)
                           .join(Workspace, Workspace.id == Membership.workspace_id)
                           .where(Membership.user_id == user.id)
                           .order_by(Workspace.created_at)).all()
    out = MeOut(**_user_out(user).model_dump(), workspaces=[
        MembershipOut(workspace_id=w.id, slug=w.slug, name=w.name, role=m.role)
        for m, w in rows])
    return out


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(body: PasswordChangeIn, user: CurrentUserDep, session: SessionDep,
                    runtime: RuntimeDep, origin: OriginDep) -> Response:
    """Every session and token of the account ends: log in again with the new password."""
    service.change_password(session=session, settings=runtime.settings,
                            user=_fresh(session, user), current=body.current_password,
                            new=body.new_password, origin=origin)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/password-reset", status_code=status.HTTP_202_ACCEPTED)
def request_password_reset(body: PasswordResetRequestIn, session: SessionDep,
                           runtime: RuntimeDep, origin: OriginDep) -> dict[str, str]:
    service.request_password_reset(session=session, runtime=runtime, email=body.email,
                                   origin=origin)
    return {"status": "if the account exists, a reset link is on its way"}


@router.post("/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT)
def reset_password(body: PasswordResetIn, session: SessionDep, runtime: RuntimeDep,
                   origin: OriginDep) -> Response:
    service.reset_password(session=session, settings=runtime.settings, token=body.token,
                           new_password=body.new_password, origin=origin)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/2fa/setup", response_model=EnrolmentOut)
def setup_two_factor(user: CurrentUserDep, session: SessionDep) -> EnrolmentOut:
    """A new TOTP secret (otpauth URI and QR code as SVG); confirm it with /2fa/enable."""
    enrolment = two_factor.begin_enrolment(session=session, user=_fresh(session, user))
    return EnrolmentOut(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri,
                        qr_svg=enrolment.qr_svg)


@router.post("/2fa/enable", response_model=RecoveryCodesOut)
def enable_two_factor(body: CodeIn, user: CurrentUserDep, session: SessionDep,
                      origin: OriginDep) -> RecoveryCodesOut:
    return RecoveryCodesOut(recovery_codes=two_factor.confirm_enrolment(
        session=session, user=_fresh(session, user), code=body.code, origin=origin))


@router.post("/2fa/disable", status_code=status.HTTP_204_NO_CONTENT)
def disable_two_factor(body: TwoFactorDisableIn, user: CurrentUserDep, session: SessionDep,
                       origin: OriginDep) -> Response:
    two_factor.disable(session=session, user=_fresh(session, user), password=body.password,
                       code=body.code, origin=origin)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
