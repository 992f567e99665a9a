"""Workspace routes."""

from fastapi import APIRouter, status

from casework.api.deps import PrincipalDep, ReadSessionDep, SessionDep
from casework.workspaces import service
from casework.workspaces.schemas import WorkspaceCreate, WorkspaceOut, WorkspaceUpdate

router = APIRouter(prefix="/workspaces", tags=["workspaces"])


@router.get("", response_model=list[WorkspaceOut])
def list_workspaces(session: ReadSessionDep, _principal: PrincipalDep) -> list[WorkspaceOut]:
    return [WorkspaceOut.model_validate(w) for w in service.list_workspaces(session=session)]


@router.post("", response_model=WorkspaceOut, status_code=status.HTTP_201_CREATED)
def create_workspace(body: WorkspaceCreate, session: SessionDep,
                     _principal: PrincipalDep) -> WorkspaceOut:
    return WorkspaceOut.model_validate(service.create_workspace(session=session, name=body.name))


@router.get("/current", response_model=WorkspaceOut)
def current_workspace(session: ReadSessionDep, principal: PrincipalDep) -> WorkspaceOut:
    return WorkspaceOut.model_validate(
        service.get_workspace(session=session, workspace_id=principal.workspace_id))


@router.patch("/current", response_model=WorkspaceOut)
def rename_current_workspace(body: WorkspaceUpdate, session: SessionDep,
                             principal: PrincipalDep) -> WorkspaceOut:
    return WorkspaceOut.model_validate(service.rename_workspace(
        session=session, workspace_id=principal.workspace_id, name=body.name))
