"""Accounts: sign-up, login (with rate limits and growing delays), passwords and resets,
and the first owner at bootstrap."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casework.accounts import credentials, sessions
from casework.accounts.models import Membership, PasswordReset, Role, User
from casework.audit import service as audit
from casework.core.database import after_commit, utcnow
from casework.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
)
from casework.core.origin import RequestOrigin
from casework.core.settings import Settings
from casework.runtime import Runtime
from casework.workspaces import service as workspaces_service
from casework.workspaces.models import Workspace

RESET_PREFIX = "cwp"


class PasswordResetUnavailable(ServiceUnavailable):
    """Production without SMTP: the reset link could only go to the log, so reset is off."""

    code = "password_reset_unavailable"


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or email.startswith("@") or email.endswith("@"):
        raise InvalidInput("not a valid e-mail address", details={"field": "email"})
    return email


def check_password(settings: Settings, password: str) -> None:
    if len(password) < settings.password_min_length:
        raise InvalidInput(f"the password needs at least {settings.password_min_length} "
                           "characters", details={"field": "password"})
    if len(password) > 1024:
        raise InvalidInput("the password is too long", details={"field": "password"})


def find_user(*, session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == normalise_email(email))).first()


def create_user(*, session: Session, settings: Settings, email: str, password: str,
                display_name: str = "") -> User:
    email = normalise_email(email)
    check_password(settings, password)
    if find_user(session=session, email=email) is not None:
        raise Conflict("this e-mail address cannot be used to sign up: if it is yours, log "
                       "in or reset the password")
    user = User(email=email, display_name=display_name.strip()[:200],
                password_hash=credentials.hash_password(password))
    session.add(user)
    session.flush()
    return user


def add_membership(*, session: Session, workspace_id: str, user_id: str,
                   role: Role) -> Membership:
    membership = session.scalars(select(Membership).where(
        Membership.workspace_id == workspace_id, Membership.user_id == user_id)).first()
    if membership is None:
        membership = Membership(workspace_id=workspace_id, user_id=user_id, role=role)
        session.add(membership)
    else:
        membership.role = role
    session.flush()
    return membership


def signup(*, session: Session, runtime: Runtime, email: str, password: str,
           display_name: str, invitation_token: str | None, origin: RequestOrigin) -> User:
    """Open sign-up creates an account; invite-only needs a valid invitation token."""
    from casework.workspaces import members

    if runtime.settings.signup_mode == "invite" and not invitation_token:
        raise Forbidden("sign-up is by invitation only: ask a workspace admin for one")
    # Each attempt may learn whether an e-mail is taken: few attempts per client IP.
    runtime.limiter.enforce("signup", origin.ip or "unknown",
                            limit=runtime.settings.signups_per_ip_per_hour,
                            window_seconds=3600, what="sign-up attempts")
    invitation = None
    if invitation_token:
        invitation = members.find_open_invitation(session=session, token=invitation_token)
        # Before looking the address up: an invitation for one address must not tell
        # its holder whether other addresses have accounts.
        if invitation.email and invitation.email != normalise_email(email):
            raise Forbidden("this invitation is for another e-mail address")
    user = create_user(session=session, settings=runtime.settings, email=email,
                       password=password, display_name=display_name)
    audit.record(session=session, action="auth.signup", origin=origin, actor_user_id=user.id,
                 actor_label=user.email, target_type="user", target_id=user.id)
    if invitation is not None:
        members.accept_invitation(session=session, invitation=invitation, user=user,
                                  origin=origin)
    return user


def authenticate_password(*, session: Session, runtime: Runtime, email: str, password: str,
                          origin: RequestOrigin) -> User:
    """Check e-mail and password, under the login rate limit and the failure delays.

    Failures are audited and counted whatever the reason, with one message for all, so
    the answer never tells whether an account exists.
    """
    settings, limiter = runtime.settings, runtime.limiter
    key = email.strip().lower()[:320]
    ip = origin.ip or "unknown"
    limiter.enforce("login", f"{key}|{ip}", limit=settings.login_rate_limit_per_minute,
                    window_seconds=60, what="login attempts")
    # Password spraying tries one password on many accounts: count failures per IP too.
    limiter.refuse_when_spent("login-failures-ip", ip,
                              limit=settings.login_failures_per_ip_per_hour,
                              window_seconds=3600, what="failed logins from this address")
    lock = f"login/{key}|{ip}"
    limiter.refuse_while_locked(lock)
    user = session.scalars(select(User).where(User.email == key)).first()
    ok = credentials.verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        delay = limiter.note_failure(lock)
        limiter.hit("login-failures-ip", ip, limit=settings.login_failures_per_ip_per_hour,
                    window_seconds=3600)
        audit.record(session=session, action="auth.login", outcome="failed", origin=origin,
                     actor_user_id=user.id if user else None, actor_label=key,
                     target_type="user", target_id=user.id if user else None,
                     details={"reason": "inactive" if ok else "bad_credentials",
                              "delay_seconds": delay})
        raise Unauthorized("wrong e-mail or password", keep_changes=True)
    limiter.clear_failures(lock)
    return user


def finish_login(*, session: Session, user: User, origin: RequestOrigin,
                 method: str) -> None:
    user.last_login_at = utcnow()
    audit.record(session=session, action="auth.login", origin=origin, actor_user_id=user.id,
                 actor_label=user.email, target_type="user", target_id=user.id,
                 details={"method": method})


def change_password(*, session: Session, settings: Settings, user: User, current: str,
                    new: str, origin: RequestOrigin) -> None:
    """Every session and access token issued before is revoked."""
    if not credentials.verify_password(user.password_hash, current):
        audit.record(session=session, action="auth.password_change", outcome="failed",
                     origin=origin, actor_user_id=user.id, actor_label=user.email,
                     target_type="user", target_id=user.id)
        raise Forbidden("the current password is wrong", keep_changes=True)
    _set_password(session, settings, user, new)
    audit.record(session=session, action="auth.password_change", origin=origin,
                 actor_user_id=user.id, actor_label=user.email, target_type="user",
                 target_id=user.id)


def set_password_by_operator(*, session: Session, settings: Settings, email: str,
                             password: str, origin: RequestOrigin) -> User:
    """An operator on the server sets a new password: how an account is recovered where
    reset by e-mail is off (production without SMTP). Every session of it is revoked."""
    user = session.scalars(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        raise NotFound("no account has that e-mail address")
    _set_password(session, settings, user, password)
    audit.record(session=session, action="auth.password_set", origin=origin,
                 actor_user_id=user.id, actor_label="operator (cli)", target_type="user",
                 target_id=user.id)
    return user


def _set_password(session: Session, settings: Settings, user: User, password: str) -> None:
    check_password(settings, password)
    user.password_hash = credentials.hash_password(password)
    user.session_epoch += 1
    sessions.revoke_all(session=session, user_id=user.id)


def request_password_reset(*, session: Session, runtime: Runtime, email: str,
                           origin: RequestOrigin) -> None:
    """Mail a reset link if the account exists; the answer is the same either way."""
    settings = runtime.settings
    if not settings.password_reset_available:
        raise PasswordResetUnavailable(
            "password reset by e-mail is off on this server (no SMTP_HOST is set); its "
            "operator can set a new password (`casework admin set-password`)")
    key = email.strip().lower()[:320]
    runtime.limiter.enforce("reset", f"{key}|{origin.ip}", limit=3, window_seconds=3600,
                            what="password reset requests")
    user = session.scalars(select(User).where(User.email == key)).first()
    audit.record(session=session, action="auth.password_reset_request", origin=origin,
                 actor_label=key, actor_user_id=user.id if user else None,
                 outcome="ok" if user else "unknown_account")
    if user is None or not user.is_active:
        return
    token = credentials.new_secret(RESET_PREFIX)
    session.add(PasswordReset(
        user_id=user.id, token_hash=credentials.digest(token),
        expires_at=utcnow() + timedelta(minutes=settings.password_reset_minutes)))
    session.flush()
    link = f"{settings.public_url.rstrip('/')}/reset-password#token={token}"
    body = (f"Someone asked to reset the casework password of {user.email}.\n\n"
            f"Reset token: {token}\nLink: {link}\n\n"
            f"It expires in {settings.password_reset_minutes} minutes. "
            "If it was not you, ignore this message.")
    # Off the request thread: an SMTP round trip only for existing accounts would make the
    # answer's timing tell what its body does not.
    after_commit(session, lambda: threading.Thread(
        target=runtime.mailer.send, name="reset-mail", daemon=True,
        kwargs={"to": user.email, "subject": "casework password reset", "body": body}).start())


def reset_password(*, session: Session, settings: Settings, token: str, new_password: str,
                   origin: RequestOrigin) -> None:
    row = session.scalars(select(PasswordReset).where(
        PasswordReset.token_hash == credentials.digest(token))).first()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise Unauthorized("the reset token is invalid or has expired")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("the reset token is invalid or has expired")
    _set_password(session, settings, user, new_password)
    # One reset spends every outstanding reset token of the account.
    session.execute(update(PasswordReset).where(
        PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow()))
    audit.record(session=session, action="auth.password_reset", origin=origin,
                 actor_user_id=user.id, actor_label=user.email, target_type="user",
                 target_id=user.id)


def bootstrap_owner(*, session: Session, settings: Settings, email: str, password: str,
                    workspace_slug: str, origin: RequestOrigin) -> tuple[User, Workspace, bool]:
    """Make `email` an owner of the workspace (created if missing). Returns created=False
    when the account already existed: its password is then left alone."""
    try:
        workspace = workspaces_service.get_workspace_by_slug(session=session,
                                                             slug=workspace_slug)
    except NotFound:
        workspace = workspaces_service.create_workspace(session=session, name=workspace_slug)
    user = find_user(session=session, email=email)
    created = user is None
    if user is None:
        user = create_user(session=session, settings=settings, email=email, password=password)
    add_membership(session=session, workspace_id=workspace.id, user_id=user.id,
                   role=Role.owner)
    if created:
        audit.record(session=session, action="member.add", origin=origin,
                     workspace_id=workspace.id, actor_label="bootstrap", target_type="user",
                     target_id=user.id, details={"role": "owner", "email": user.email})
    return user, workspace, created


def set_account_active(*, session: Session, email: str, active: bool,
                       origin: RequestOrigin) -> User:
    """Suspend (or reinstate) an account: every request checks `is_active`
    (accounts.policy), and suspending also ends every session and access token at once."""
    user = find_user(session=session, email=email)
    if user is None:
        raise NotFound("no account with this e-mail")
    user.is_active = active
    if not active:
        user.session_epoch += 1
        sessions.revoke_all(session=session, user_id=user.id)
    session.flush()
    audit.record(session=session, action="auth.suspend" if not active else "auth.reinstate",
                 origin=origin, actor_label=origin.user_agent, target_type="user",
                 target_id=user.id, details={"email": user.email})
    return user


def has_users(*, session: Session) -> bool:
    return session.scalars(select(User.id).limit(1)).first() is not None
