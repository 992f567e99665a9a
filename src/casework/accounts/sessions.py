"""Refresh tokens and cookie sessions: opaque, stored as digests, revocable.

An access token names the login it came from (`sid`, the refresh token's family) and the
account's `session_epoch` (`ver`): logging out that login, or changing the password, ends
the access tokens issued before at once, not when they expire.

A refresh token is single-use: using it rotates it (same family, new token). Presenting a
token that was already rotated means it was copied: the whole family is revoked, so the
thief and the victim are both logged out and the victim's next login starts clean.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casework.accounts import credentials
from casework.accounts.models import LoginSession, SessionKind, User
from casework.audit import service as audit
from casework.core.database import utcnow
from casework.core.errors import Unauthorized
from casework.core.ids import new_id
from casework.core.origin import RequestOrigin
from casework.core.settings import Settings

REFRESH_PREFIX = "cwr"
COOKIE_PREFIX = "cws"


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    token_type: str = "bearer"  # noqa: S105  (a scheme name, not a secret)


def issue_access_token(*, settings: Settings, user: User,
                       family_id: str) -> tuple[str, datetime]:
    return credentials.issue_jwt(
        key=settings.secret_key.get_secret_value(), subject=user.id, kind="access",
        ttl=timedelta(minutes=settings.access_token_minutes),
        claims={"ver": user.session_epoch, "sid": family_id})


def user_for_access_token(*, session: Session, settings: Settings, token: str) -> User:
    """The token's user, unless the account, its password epoch or its login has ended."""
    claims = credentials.decode_jwt(key=settings.secret_key.get_secret_value(), token=token,
                                    kind="access")
    user = session.get(User, claims["sub"])
    if user is None or not user.is_active:
        raise Unauthorized("the account is disabled")
    if claims.get("ver") != user.session_epoch:
        raise Unauthorized("the token was revoked (password changed); log in again")
    family_id = claims.get("sid")
    ended = not isinstance(family_id, str) or session.scalars(
        select(LoginSession.id).where(LoginSession.family_id == family_id,
                                      LoginSession.user_id == user.id,
                                      LoginSession.revoked_at.is_not(None)).limit(1)).first()
    if ended:
        raise Unauthorized("the token was revoked (logged out); log in again")
    return user


def _start(session: Session, *, user: User, kind: SessionKind, ttl: timedelta,
           origin: RequestOrigin, family_id: str | None = None) -> tuple[str, LoginSession]:
    token = credentials.new_secret(REFRESH_PREFIX if kind == SessionKind.refresh
                                   else COOKIE_PREFIX)
    row = LoginSession(user_id=user.id, family_id=family_id or new_id(), kind=kind,
                       token_hash=credentials.digest(token), expires_at=utcnow() + ttl,
                       ip=origin.ip, user_agent=(origin.user_agent or "")[:400] or None)
    session.add(row)
    session.flush()
    return token, row


def issue_token_pair(*, session: Session, settings: Settings, user: User,
                     origin: RequestOrigin, family_id: str | None = None) -> TokenPair:
    refresh, row = _start(session, user=user, kind=SessionKind.refresh,
                          ttl=timedelta(days=settings.refresh_token_days), origin=origin,
                          family_id=family_id)
    access, access_expires = issue_access_token(settings=settings, user=user,
                                                family_id=row.family_id)
    return TokenPair(access, access_expires, refresh, row.expires_at)


def _find(session: Session, token: str, kind: SessionKind) -> LoginSession | None:
    return session.scalars(select(LoginSession).where(
        LoginSession.token_hash == credentials.digest(token), LoginSession.kind == kind)).first()


def revoke_family(*, session: Session, family_id: str) -> None:
    session.execute(update(LoginSession).where(
        LoginSession.family_id == family_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow()))
    session.flush()


def revoke_all(*, session: Session, user_id: str) -> None:
    """Every refresh token and cookie session of the user: after a password change."""
    session.execute(update(LoginSession).where(
        LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow()))
    session.flush()


def rotate_refresh_token(*, session: Session, settings: Settings, token: str,
                         origin: RequestOrigin) -> TokenPair:
    row = _find(session, token, SessionKind.refresh)
    if row is None:
        raise Unauthorized("the refresh token is invalid")
    user = session.get(User, row.user_id)
    if row.rotated_at is not None:
        revoke_family(session=session, family_id=row.family_id)
        audit.record(session=session, action="auth.refresh_reuse", origin=origin,
                     outcome="failed", actor_user_id=row.user_id,
                     actor_label=user.email if user else None, target_type="session",
                     target_id=row.family_id)
        raise Unauthorized("this refresh token was already used: every session of its "
                           "login has been revoked, log in again", keep_changes=True)
    if row.revoked_at is not None:
        raise Unauthorized("the refresh token was revoked")
    if row.expires_at <= utcnow():
        raise Unauthorized("the refresh token has expired")
    if user is None or not user.is_active:
        raise Unauthorized("the account is disabled")
    row.rotated_at = utcnow()
    return issue_token_pair(session=session, settings=settings, user=user, origin=origin,
                            family_id=row.family_id)


def logout(*, session: Session, token: str, origin: RequestOrigin) -> None:
    """Revoke the login the token belongs to (its whole family); unknown tokens are ignored."""
    row = _find(session, token, SessionKind.refresh) or _find(session, token, SessionKind.cookie)
    if row is None:
        return
    revoke_family(session=session, family_id=row.family_id)
    audit.record(session=session, action="auth.logout", origin=origin,
                 actor_user_id=row.user_id, target_type="session", target_id=row.family_id)


def start_cookie_session(*, session: Session, settings: Settings, user: User,
                         origin: RequestOrigin) -> tuple[str, LoginSession]:
    return _start(session, user=user, kind=SessionKind.cookie,
                  ttl=timedelta(hours=settings.session_cookie_hours), origin=origin)


def user_for_cookie(*, session: Session, token: str) -> tuple[User, LoginSession]:
    row = _find(session, token, SessionKind.cookie)
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        raise Unauthorized("the session has ended; log in again")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("the account is disabled")
    return user, row
