"""Secrets and their proofs: argon2id for passwords, SHA-256 digests for high-entropy
opaque tokens, and short-lived HS256 JWTs for access.

JWTs are verified with an explicit algorithm list (["HS256"]), so "alg": "none" and
tokens signed with anything else are rejected, as are tampered and expired ones.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from casework.core.database import utcnow
from casework.core.errors import Unauthorized
from casework.core.ids import new_id

# argon2id with the RFC 9106 low-memory profile (argon2-cffi's default): immutable config.
_HASHER = PasswordHasher()
# Verified when the e-mail is unknown, so a login takes as long whether or not it exists.
_DUMMY_HASH = _HASHER.hash("casework timing equaliser")
ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def new_secret(prefix: str) -> str:
    """A 256-bit random token with a readable prefix saying what it is (`cwk_`, `cwr_`...)."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def sign(key: str, message: str) -> str:
    """An HMAC tag, e.g. the CSRF token bound to a cookie session."""
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def issue_jwt(*, key: str, subject: str, kind: str, ttl: timedelta,
              claims: dict[str, Any] | None = None) -> tuple[str, datetime]:
    now = utcnow()
    expires = now + ttl
    payload = {"sub": subject, "typ": kind, "iat": now, "exp": expires, "jti": new_id(),
               **(claims or {})}
    return jwt.encode(payload, key, algorithm=ALGORITHM), expires


def decode_jwt(*, key: str, token: str, kind: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM],
                            options={"require": ["exp", "iat", "sub", "typ"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the token has expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("the token is invalid") from None
    if claims.get("typ") != kind:
        raise Unauthorized("the token is invalid")
    return claims
