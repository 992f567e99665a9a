"""Two-factor authentication: TOTP enrolment, codes at login, recovery codes, disabling.

A TOTP code is accepted once (the last accepted time step is kept), within one step of
clock drift either way. Recovery codes are shown once and kept as digests.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import segno
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from casework.accounts import credentials
from casework.accounts.models import RecoveryCode, User
from casework.audit import service as audit
from casework.core.database import utcnow
from casework.core.errors import Conflict, Forbidden, InvalidInput, Unauthorized
from casework.core.origin import RequestOrigin
from casework.core.settings import Settings
from casework.runtime import Runtime

ISSUER = "casework"
RECOVERY_CODES = 10
PENDING_KIND = "2fa_pending"


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    otpauth_uri: str
    qr_svg: str


def begin_enrolment(*, session: Session, user: User) -> Enrolment:
    """A new secret, not active until a code from it is confirmed."""
    if user.totp_enabled:
        raise Conflict("two-factor authentication is already on; disable it first")
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None
    session.flush()
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrolment(user.totp_secret, uri, segno.make(uri, error="m").svg_inline(scale=4))


def _totp_step(user: User, code: str) -> int | None:
    """The time step `code` belongs to, if it is valid now and newer than the last used."""
    if not user.totp_secret or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(user.totp_secret)
    now = totp.timecode(utcnow())
    for step in (now - 1, now, now + 1):
        if credentials.same(totp.generate_otp(step), code) and step > (user.totp_last_step or -1):
            return step
    return None


def _normalise_recovery(code: str) -> str:
    return code.replace("-", "").replace(" ", "").lower()


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(6)
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=credentials.digest(raw)))
    session.flush()
    return codes


def confirm_enrolment(*, session: Session, user: User, code: str,
                      origin: RequestOrigin) -> list[str]:
    """Turn 2FA on with a first valid code; returns the recovery codes (shown only now)."""
    if user.totp_enabled:
        raise Conflict("two-factor authentication is already on")
    if not user.totp_secret:
        raise Conflict("start the enrolment first (POST /auth/2fa/setup)")
    step = _totp_step(user, code.strip())
    if step is None:
        raise InvalidInput("the code is not valid; check the device's clock",
                           details={"field": "code"})
    user.totp_enabled, user.totp_last_step = True, step
    codes = _new_recovery_codes(session, user)
    audit.record(session=session, action="2fa.enable", origin=origin, actor_user_id=user.id,
                 actor_label=user.email, target_type="user", target_id=user.id)
    return codes


def check_second_factor(*, session: Session, user: User, code: str,
                        origin: RequestOrigin) -> bool:
    """A TOTP code, or an unused recovery code (which is then spent)."""
    code = code.strip()
    step = _totp_step(user, code)
    if step is not None:
        user.totp_last_step = step
        session.flush()
        return True
    digest = credentials.digest(_normalise_recovery(code))
    row = session.scalars(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == digest,
        RecoveryCode.used_at.is_(None))).first()
    if row is None:
        return False
    row.used_at = utcnow()
    audit.record(session=session, action="2fa.recovery_code_used", origin=origin,
                 actor_user_id=user.id, actor_label=user.email, target_type="user",
                 target_id=user.id)
    return True


def disable(*, session: Session, user: User, password: str, code: str,
            origin: RequestOrigin) -> None:
    if not user.totp_enabled:
        raise Conflict("two-factor authentication is not on")
    if not credentials.verify_password(user.password_hash, password) or \
            not check_second_factor(session=session, user=user, code=code, origin=origin):
        audit.record(session=session, action="2fa.disable", outcome="failed", origin=origin,
                     actor_user_id=user.id, actor_label=user.email, target_type="user",
                     target_id=user.id)
        raise Forbidden("the password or the code is wrong", keep_changes=True)
    user.totp_enabled, user.totp_secret, user.totp_last_step = False, None, None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(session=session, action="2fa.disable", origin=origin, actor_user_id=user.id,
                 actor_label=user.email, target_type="user", target_id=user.id)


def issue_pending_token(*, settings: Settings, user: User) -> str:
    """Proof that the password was right, good only for the second step, for minutes."""
    token, _ = credentials.issue_jwt(
        key=settings.secret_key.get_secret_value(), subject=user.id, kind=PENDING_KIND,
        ttl=timedelta(minutes=settings.two_factor_pending_minutes),
        claims={"ver": user.session_epoch})
    return token


def complete_login(*, session: Session, runtime: Runtime, pending_token: str, code: str,
                   origin: RequestOrigin) -> User:
    claims = credentials.decode_jwt(key=runtime.settings.secret_key.get_secret_value(),
                                    token=pending_token, kind=PENDING_KIND)
    user = session.get(User, claims["sub"])
    if user is None or not user.is_active or claims.get("ver") != user.session_epoch:
        raise Unauthorized("the login has expired; start again")
    key = f"login/{user.email}"
    runtime.limiter.refuse_while_locked(key)
    if not check_second_factor(session=session, user=user, code=code, origin=origin):
        delay = runtime.limiter.note_failure(key)
        audit.record(session=session, action="auth.login_2fa", outcome="failed", origin=origin,
                     actor_user_id=user.id, actor_label=user.email, target_type="user",
                     target_id=user.id, details={"delay_seconds": delay})
        raise Unauthorized("the code is not valid", keep_changes=True)
    runtime.limiter.clear_failures(key)
    return user
