"""Workspace scoping: the only way services read workspace-owned rows.

`scoped(Document, ws)` reads as "documents of this workspace"; a bare `select(Document)`
in a service should look wrong at a glance. A row of another workspace is simply not
found (404), never forbidden (403), so ids reveal nothing across tenants.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Mapped, Session

from casework.core.errors import NotFound


class WorkspaceOwned(Protocol):
    workspace_id: Mapped[str]
    id: Mapped[Any]


M = TypeVar("M", bound=WorkspaceOwned)


def scoped(model: type[M], workspace_id: str) -> Select[tuple[M]]:
    return select(model).where(model.workspace_id == workspace_id)


def find_scoped(session: Session, model: type[M], workspace_id: str, object_id: Any) -> M | None:
    """One row of the workspace by id, or None (a job's document deleted while it waited)."""
    return session.scalars(scoped(model, workspace_id).where(model.id == object_id)).first()


def get_scoped(session: Session, model: type[M], workspace_id: str, object_id: Any,
               *, noun: str) -> M:
    """Fetch one row of the workspace by id, or raise NotFound naming the `noun`."""
    row = find_scoped(session, model, workspace_id, object_id)
    if row is None:
        raise NotFound(f"{noun} not found")
    return row
