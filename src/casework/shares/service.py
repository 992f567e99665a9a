"""Share links: create (the token is returned once), list, revoke, and open by token.

A link is a capability: whoever holds the token may read what it names, until it expires
or is revoked, and nothing else. Opening a link looks its token up on every request, so
revoking takes effect on the next one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from casework.accounts import credentials
from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.collections.models import Collection
from casework.core.database import transaction, utcnow
from casework.core.errors import Conflict, Gone, InvalidInput, NotFound
from casework.core.origin import RequestOrigin
from casework.core.scoping import get_scoped, scoped
from casework.core.settings import Settings
from casework.documents.models import Document
from casework.runtime import Runtime
from casework.shares.models import ShareLink, ShareTarget

# 256 random bits, URL-safe (43 characters): guessing one is not a strategy.
TOKEN_BYTES = 32
PREFIX_CHARS = 6
MIN_PASSWORD_CHARS = 8


class ShareState(StrEnum):
    active = "active"
    expired = "expired"
    revoked = "revoked"


class ShareExpired(Gone):
    code = "share_expired"


class ShareRevoked(Gone):
    code = "share_revoked"


@dataclass(frozen=True, slots=True)
class ShareRow:
    """A link as lists show it: with the name of what it shares and its state now."""

    link: ShareLink
    target_name: str
    state: ShareState


def token_digest(token: str) -> str:
    return credentials.digest(token)


def state_of(link: ShareLink, now: datetime | None = None) -> ShareState:
    if link.revoked_at is not None:
        return ShareState.revoked
    if link.expires_at <= (now or utcnow()):
        return ShareState.expired
    return ShareState.active


# --- for members of the workspace ---------------------------------------------------------

def _target_of(*, session: Session, workspace_id: str, target_type: ShareTarget,
               target_id: str) -> Document | Collection:
    """What is to be shared, in the principal's workspace (another's is simply not found)."""
    if target_type == ShareTarget.document:
        return get_scoped(session, Document, workspace_id, target_id, noun="document")
    return get_scoped(session, Collection, workspace_id, target_id, noun="collection")


def create_share(*, session: Session, principal: Principal, target_type: ShareTarget,
                 target_id: str, expires_in: timedelta, max_lifetime: timedelta,
                 password: str | None, allow_download: bool) -> tuple[ShareLink, str]:
    if expires_in > max_lifetime:
        raise InvalidInput(f"a share link may live at most {max_lifetime.days} days",
                           details={"max_seconds": int(max_lifetime.total_seconds())})
    if password is not None and len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(f"a link's password needs at least {MIN_PASSWORD_CHARS} characters")
    target = _target_of(session=session, workspace_id=principal.workspace_id,
                        target_type=target_type, target_id=target_id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = ShareLink(
        workspace_id=principal.workspace_id, target_type=target_type,
        document_id=target.id if target_type == ShareTarget.document else None,
        collection_id=target.id if target_type != ShareTarget.document else None,
        token_hash=token_digest(token), prefix=token[:PREFIX_CHARS],
        password_hash=credentials.hash_password(password) if password else None,
        allow_download=allow_download, created_by=principal.user_id,
        created_by_label=principal.label, expires_at=utcnow() + expires_in)
    session.add(link)
    session.flush()
    audit.record_by(session=session, principal=principal, action="share.create",
                    target_type="share", target_id=link.id,
                    details={"prefix": link.prefix, "shares": target_type.value,
                             "target_id": target.id, "expires_at": link.expires_at,
                             "password": link.password_hash is not None,
                             "allow_download": allow_download})
    return link, token


def list_shares(*, session: Session, workspace_id: str, limit: int,
                offset: int) -> tuple[list[ShareRow], int]:
    """Newest first, revoked and expired ones included (their views stay countable)."""
    query = scoped(ShareLink, workspace_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    links = list(session.scalars(query.order_by(ShareLink.created_at.desc(), ShareLink.id)
                                 .limit(limit).offset(offset)))
    return _rows(session=session, workspace_id=workspace_id, links=links), total


def describe_share(*, session: Session, link: ShareLink) -> ShareRow:
    return _rows(session=session, workspace_id=link.workspace_id, links=[link])[0]


def _rows(*, session: Session, workspace_id: str, links: list[ShareLink]) -> list[ShareRow]:
    names = _target_names(session=session, workspace_id=workspace_id, links=links)
    now = utcnow()
    return [ShareRow(link=link, target_name=names.get(link.target_id, ""),
                     state=state_of(link, now)) for link in links]


def _target_names(*, session: Session, workspace_id: str,
                  links: list[ShareLink]) -> dict[str, str]:
    document_ids = [link.document_id for link in links if link.document_id]
    collection_ids = [link.collection_id for link in links if link.collection_id]
    names: dict[str, str] = {}
    if document_ids:
        rows = session.execute(select(Document.id, Document.title, Document.filename).where(
            Document.workspace_id == workspace_id, Document.id.in_(document_ids)))
        names.update({i: title or filename for i, title, filename in rows})
    if collection_ids:
        rows = session.execute(select(Collection.id, Collection.name).where(
            Collection.workspace_id == workspace_id, Collection.id.in_(collection_ids)))
        names.update({i: name for i, name in rows})
    return names


def get_share(*, session: Session, workspace_id: str, share_id: str) -> ShareLink:
    return get_scoped(session, ShareLink, workspace_id, share_id, noun="share link")


def revoke_share(*, session: Session, principal: Principal, share_id: str) -> ShareLink:
    """Immediate: the next request with the link is answered 410."""
    link = get_share(session=session, workspace_id=principal.workspace_id, share_id=share_id)
    if link.revoked_at is not None:
        raise Conflict("the share link is already revoked")
    link.revoked_at = utcnow()
    session.flush()
    audit.record_by(session=session, principal=principal, action="share.revoke",
                    target_type="share", target_id=link.id, details={"prefix": link.prefix})
    return link


# --- for visitors holding a token ---------------------------------------------------------

def open_share(*, session: Session, token: str) -> ShareLink:
    """The link a token names, if it still serves: 404 unknown, 410 expired or revoked.

    Unscoped on purpose: the token is the credential and names its own workspace; every
    lookup after this one is scoped to `link.workspace_id`.
    """
    link = session.scalars(select(ShareLink).where(
        ShareLink.token_hash == token_digest(token))).first()
    if link is None:
        raise NotFound("this share link does not exist")
    state = state_of(link)
    if state == ShareState.revoked:
        raise ShareRevoked("this share link was revoked by the people who shared it")
    if state == ShareState.expired:
        raise ShareExpired("this share link has expired")
    return link


def record_visit(*, runtime: Runtime, link: ShareLink, origin: RequestOrigin,
                 action: str = "share.view", document_id: str | None = None) -> bool:
    """`share.view` (or `share.download`) with the visitor's IP and user agent, at most once
    per (link, address, agent, item) per VIEW_AUDIT_WINDOW_SECONDS, as `document.view` is:
    a reader paging a gallery or a player seeking in a video is one event, not hundreds.
    Each recorded view also counts on the link (`view_count`). True when written."""
    agent = hashlib.sha256((origin.user_agent or "").encode()).hexdigest()[:16]
    key = f"{link.id}|{origin.ip}|{agent}|{document_id or '-'}"
    window = runtime.settings.view_audit_window_seconds
    if not runtime.limiter.first_in_window(f"audit-{action}", key, window_seconds=window):
        return False
    # Its own short transaction: the public pages read through a read-only session.
    with transaction(runtime.sessions) as session:
        audit.record(session=session, action=action, origin=origin,
                     workspace_id=link.workspace_id, actor_label=f"share link {link.prefix}",
                     target_type="share", target_id=link.id,
                     details={"shares": link.target_type, "target_id": link.target_id,
                              **({"document_id": document_id} if document_id else {})})
        if action == "share.view":
            session.execute(update(ShareLink).where(ShareLink.id == link.id).values(
                view_count=ShareLink.view_count + 1, last_viewed_at=utcnow()))
    return True


def public_base(*, settings: Settings, request_base: str) -> str:
    """The origin links are built on: PUBLIC_URL when the operator set it (behind a proxy
    the request's own host may be an internal name), else the address this request used."""
    base = settings.public_url if "public_url" in settings.model_fields_set else request_base
    return base.rstrip("/")


def link_url(*, base: str, token: str) -> str:
    return f"{base}/s/{token}"
