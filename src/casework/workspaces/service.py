"""Workspace life cycle."""

from __future__ import annotations

import re
import secrets
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.core.errors import NotFound
from casework.search.keyword_tables import create_keyword_table
from casework.workspaces.models import Workspace

DEFAULT_SLUG = "default"


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:100] or "workspace"


def ensure_default_workspace(*, session: Session, name: str) -> Workspace:
    """The embedded default has one workspace ready at first start."""
    workspace = session.scalars(select(Workspace).where(Workspace.slug == DEFAULT_SLUG)).first()
    if workspace is None:
        workspace = Workspace(name=name, slug=DEFAULT_SLUG)
        session.add(workspace)
        session.flush()
        create_keyword_table(session=session, workspace_id=workspace.id)
    return workspace


def _free_slug(session: Session, name: str) -> str:
    """Slugs are global but names are not: a taken slug gets a random suffix, so creating a
    workspace never tells whether another tenant already has one of that name."""
    slug = base = slugify(name)
    while session.scalars(select(Workspace.id).where(Workspace.slug == slug)).first():
        slug = f"{base[:93]}-{secrets.token_hex(3)}"
    return slug


def create_workspace(*, session: Session, name: str) -> Workspace:
    workspace = Workspace(name=name.strip(), slug=_free_slug(session, name))
    session.add(workspace)
    session.flush()
    create_keyword_table(session=session, workspace_id=workspace.id)
    return workspace


def get_workspace(*, session: Session, workspace_id: str) -> Workspace:
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound("workspace not found")
    return workspace


def get_workspace_by_slug(*, session: Session, slug: str) -> Workspace:
    workspace = session.scalars(select(Workspace).where(Workspace.slug == slug)).first()
    if workspace is None:
        raise NotFound(f"workspace {slug!r} not found")
    return workspace


def find_workspace(*, session: Session, slug_or_id: str) -> Workspace | None:
    """What the X-Workspace header names: a slug or an id."""
    return session.scalars(select(Workspace).where(
        (Workspace.slug == slug_or_id) | (Workspace.id == slug_or_id))).first()


def list_workspaces(*, session: Session, workspace_ids: list[str] | None = None) -> list[Workspace]:
    query = select(Workspace).order_by(Workspace.created_at, Workspace.id)
    if workspace_ids is not None:
        query = query.where(Workspace.id.in_(workspace_ids))
    return list(session.scalars(query))


def update_workspace(*, session: Session, principal: Principal,
                     changes: dict[str, object]) -> Workspace:
    """Rename the caller's workspace or change its 2FA rule; audited with the changes."""
    workspace = get_workspace(session=session, workspace_id=principal.workspace_id)
    if "name" in changes and changes["name"] is not None:
        workspace.name = str(changes["name"]).strip()
    if "require_2fa" in changes and changes["require_2fa"] is not None:
        workspace.require_2fa = bool(changes["require_2fa"])
    session.flush()
    audit.record_by(session=session, principal=principal, action="workspace.update",
                    target_type="workspace", target_id=workspace.id, details=changes)
    return workspace
