"""Dependencies as `Annotated` aliases: the runtime, sessions, and the acting principal.

The session dependency owns the transaction: it commits once after the route returns and
before the response is sent (scope="function"), or rolls back on any error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from casework.accounts.models import Role
from casework.core.database import transaction
from casework.core.errors import NotFound
from casework.core.settings import Settings
from casework.runtime import Runtime
from casework.workspaces import service as workspaces_service


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with transaction(runtime.sessions) as session:
        yield session


def get_read_session(runtime: RuntimeDep) -> Iterator[Session]:
    """For GET routes: never takes SQLite's write lock, so reads don't queue behind ingest."""
    with transaction(runtime.read_sessions) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who acts, and in which workspace. Every service call is scoped by `workspace_id`."""

    workspace_id: str
    user_id: str | None
    role: Role


def get_principal(
    session: ReadSessionDep,
    runtime: RuntimeDep,
    x_workspace: Annotated[str | None, Header(max_length=120)] = None,
) -> Principal:
    """The embedded default before accounts: the default workspace, or one named by slug.

    This is the one seam the accounts issue replaces with real authentication.
    """
    if x_workspace:
        workspace = workspaces_service.get_workspace_by_slug(session=session, slug=x_workspace)
    else:
        try:
            workspace = workspaces_service.get_workspace_by_slug(
                session=session, slug=workspaces_service.DEFAULT_SLUG)
        except NotFound:
            raise NotFound("no default workspace: run `casework migrate`") from None
    return Principal(workspace_id=workspace.id, user_id=None, role=Role.owner)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
