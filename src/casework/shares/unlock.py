"""Passwords of protected links: checking one, and the signed cookie that remembers it.

The password form is protected against cross-site posting the way the sign-in form is: the
GET sets a random cookie scoped to the link's path and the form carries an HMAC over it.
Wrong passwords are counted per (link, client IP): past SHARE_PASSWORD_FAILURES in the
window that address must wait, the right password included, so guessing is bounded.

Once the password is right the browser gets `casework_share`, scoped to `/s/<token>`:
"<expiry>.<HMAC(SECRET_KEY, link id, expiry, password hash)>", valid for
SHARE_UNLOCK_MINUTES and never past the link's own expiry. It is bound to that link, and
revoking the link ends it (every request opens the link first).
"""

from __future__ import annotations

import math
import time

from sqlalchemy.orm import Session

from casework.accounts import credentials
from casework.audit import service as audit
from casework.core.errors import Forbidden
from casework.core.origin import RequestOrigin
from casework.core.settings import Settings
from casework.runtime import Runtime
from casework.shares.models import ShareLink

UNLOCK_COOKIE = "casework_share"
FORM_COOKIE = "casework_share_form"
FORM_COOKIE_SECONDS = 3600
MAX_COOKIE_CHARS = 200


class PasswordRequired(Forbidden):
    """The link is protected and this browser has not given its password (not a 401: that
    would send a visitor to the sign-in page, and a visitor has no account)."""

    code = "share_password_required"


class WrongPassword(Forbidden):
    code = "share_wrong_password"


def _key(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()


def _signature(settings: Settings, link: ShareLink, expires: int) -> str:
    return credentials.sign(_key(settings),
                            f"share-unlock:{link.id}:{expires}:{link.password_hash}")


def cookie_path(token: str) -> str:
    return f"/s/{token}"


def is_unlocked(*, settings: Settings, link: ShareLink, cookie: str | None) -> bool:
    """True for a link without a password, or with a valid unlock cookie for this link."""
    if link.password_hash is None:
        return True
    if not cookie or len(cookie) > MAX_COOKIE_CHARS:
        return False
    expires, _, signature = cookie.partition(".")
    if not expires.isdigit() or int(expires) <= time.time():
        return False
    return credentials.same(signature, _signature(settings, link, int(expires)))


def require_unlocked(*, settings: Settings, link: ShareLink, cookie: str | None) -> None:
    if not is_unlocked(settings=settings, link=link, cookie=cookie):
        raise PasswordRequired("this link is protected by a password: open the link and "
                               "enter it first")


def form_token(*, settings: Settings, link: ShareLink, nonce: str) -> str:
    return credentials.sign(_key(settings), f"share-form:{link.id}:{nonce}")


def new_form_nonce() -> str:
    return credentials.new_secret("cwf")


def unlock(*, session: Session, runtime: Runtime, link: ShareLink, password: str,
           nonce: str, sent_token: str, origin: RequestOrigin) -> tuple[str, int]:
    """Check the form and the password; the cookie value and its lifetime in seconds.

    Every attempt is audited (`share.unlock`, ok or failed, with IP and user agent); a
    refusal keeps its audit row (`keep_changes`)."""
    settings = runtime.settings
    if not nonce or not sent_token or not credentials.same(
            sent_token, form_token(settings=settings, link=link, nonce=nonce)):
        raise Forbidden("this password form has expired: reload the page and try again")
    key = f"{link.id}|{origin.ip}"
    limits = {"limit": settings.share_password_failures,
              "window_seconds": settings.share_password_window_seconds}
    runtime.limiter.refuse_when_spent("share-password", key, what="wrong passwords for this "
                                      "link from your address", **limits)
    ok = credentials.verify_password(link.password_hash, password)

    def record(outcome: str) -> None:
        audit.record(session=session, action="share.unlock", origin=origin, outcome=outcome,
                     workspace_id=link.workspace_id, actor_label=f"share link {link.prefix}",
                     target_type="share", target_id=link.id)

    if not ok:
        runtime.limiter.hit("share-password", key, **limits)
        record("failed")
        raise WrongPassword("that is not the password of this link", keep_changes=True)
    record("ok")
    lifetime = min(settings.share_unlock_minutes * 60,
                   math.floor(link.expires_at.timestamp() - time.time()))
    expires = int(time.time()) + max(lifetime, 1)
    return f"{expires}.{_signature(settings, link, expires)}", max(lifetime, 1)
