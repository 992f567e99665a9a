"""API keys: create (the secret is returned once), list, revoke, and authenticate.

Revocation takes effect on the very next request: every request looks the key up.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.accounts import credentials
from casework.accounts.permissions import Scope
from casework.accounts.principal import Principal
from casework.apikeys.models import ApiKey
from casework.audit import service as audit
from casework.core.database import utcnow
from casework.core.errors import Conflict, Unauthorized
from casework.core.scoping import get_scoped, scoped

KEY_PREFIX = "cwk"
# How stale `last_used_at` may get before a request writes it again (saves a write a call).
LAST_USED_RESOLUTION = timedelta(seconds=60)


def scopes_of(key: ApiKey) -> list[Scope]:
    return [Scope(s) for s in key.scopes.split(",") if s]


def create_key(*, session: Session, principal: Principal, name: str, scopes: list[Scope],
               expires_in_days: int | None) -> tuple[ApiKey, str]:
    secret = credentials.new_secret(KEY_PREFIX)
    key = ApiKey(
        workspace_id=principal.workspace_id, name=name.strip(), prefix=secret[:12],
        secret_hash=credentials.digest(secret),
        scopes=",".join(sorted({s.value for s in scopes})), created_by=principal.user_id,
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None)
    session.add(key)
    session.flush()
    audit.record_by(session=session, principal=principal, action="api_key.create",
                    target_type="api_key", target_id=key.id,
                    details={"name": key.name, "scopes": key.scopes, "prefix": key.prefix})
    return key, secret


def list_keys(*, session: Session, workspace_id: str) -> list[ApiKey]:
    return list(session.scalars(scoped(ApiKey, workspace_id)
                                .order_by(ApiKey.created_at.desc(), ApiKey.id)))


def revoke_key(*, session: Session, principal: Principal, key_id: str) -> ApiKey:
    key = get_scoped(session, ApiKey, principal.workspace_id, key_id, noun="API key")
    if key.revoked_at is not None:
        raise Conflict("the API key is already revoked")
    key.revoked_at = utcnow()
    session.flush()
    audit.record_by(session=session, principal=principal, action="api_key.revoke",
                    target_type="api_key", target_id=key.id, details={"prefix": key.prefix})
    return key


def authenticate(*, session: Session, secret: str) -> ApiKey:
    key = session.scalars(select(ApiKey).where(
        ApiKey.secret_hash == credentials.digest(secret))).first()
    if key is None or key.revoked_at is not None:
        raise Unauthorized("the API key is invalid or revoked")
    if key.expires_at is not None and key.expires_at <= utcnow():
        raise Unauthorized("the API key has expired")
    return key


def needs_touch(key: ApiKey) -> bool:
    return key.last_used_at is None or utcnow() - key.last_used_at > LAST_USED_RESOLUTION


def touch(*, session: Session, key_id: str) -> None:
    key = session.get(ApiKey, key_id)
    if key is not None:
        key.last_used_at = utcnow()
        session.flush()
