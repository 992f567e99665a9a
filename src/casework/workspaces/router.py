"""Workspace routes: the caller's workspaces, the current one, its members and invitations."""

from fastapi import APIRouter, Response, status

from casework.api.deps import (
    CanDeleteWorkspace,
    CanManageMembers,
    CanManageWorkspace,
    CanRead,
    CurrentUserDep,
    OriginDep,
    ReadSessionDep,
    RuntimeDep,
    SessionDep,
)
from casework.workspaces import lifecycle, members, service
from casework.workspaces.schemas import (
    InvitationCreate,
    InvitationCreated,
    InvitationOut,
    JoinIn,
    MemberOut,
    RoleUpdate,
    WorkspaceCreate,
    WorkspaceOut,
    WorkspaceUpdate,
)

router = APIRouter(prefix="/workspaces", tags=["workspaces"])


@router.get("", response_model=list[WorkspaceOut])
def list_workspaces(session: ReadSessionDep, user: CurrentUserDep) -> list[WorkspaceOut]:
    """The workspaces the caller is a member of."""
    ids = [m.workspace_id for m in members.memberships_of(session=session, user_id=user.id)]
    return [WorkspaceOut.model_validate(w)
            for w in service.list_workspaces(session=session, workspace_ids=ids)]


@router.post("", response_model=WorkspaceOut, status_code=status.HTTP_201_CREATED)
def create_workspace(body: WorkspaceCreate, session: SessionDep, user: CurrentUserDep,
                     origin: OriginDep) -> WorkspaceOut:
    """A new workspace with the caller as its owner."""
    return WorkspaceOut.model_validate(lifecycle.create_owned_workspace(
        session=session, user_id=user.id, label=user.email, name=body.name, origin=origin))


@router.post("/join", response_model=WorkspaceOut)
def join_workspace(body: JoinIn, session: SessionDep, user: CurrentUserDep,
                   origin: OriginDep) -> WorkspaceOut:
    """Accept an invitation with the account one is logged in with."""
    membership = members.join(session=session, user_id=user.id, token=body.token,
                              origin=origin)
    return WorkspaceOut.model_validate(
        service.get_workspace(session=session, workspace_id=membership.workspace_id))


@router.get("/current", response_model=WorkspaceOut)
def current_workspace(session: ReadSessionDep, principal: CanRead) -> WorkspaceOut:
    return WorkspaceOut.model_validate(
        service.get_workspace(session=session, workspace_id=principal.workspace_id))


@router.patch("/current", response_model=WorkspaceOut)
def update_current_workspace(body: WorkspaceUpdate, session: SessionDep,
                             principal: CanManageWorkspace) -> WorkspaceOut:
    changes = body.model_dump(exclude_unset=True)
    workspace = service.update_workspace(session=session, principal=principal,
                                         changes=changes)
    return WorkspaceOut.model_validate(workspace)


@router.delete("/current", status_code=status.HTTP_204_NO_CONTENT)
def delete_current_workspace(session: SessionDep, runtime: RuntimeDep,
                             principal: CanDeleteWorkspace) -> Response:
    """Owner only: every collection, document, note and key of the workspace goes."""
    lifecycle.delete_workspace(session=session, runtime=runtime, principal=principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/current/members", response_model=list[MemberOut])
def list_members(session: ReadSessionDep, principal: CanRead) -> list[MemberOut]:
    return [MemberOut.model_validate(m)
            for m in members.list_members(session=session, workspace_id=principal.workspace_id)]


@router.patch("/current/members/{user_id}", response_model=MemberOut)
def change_member_role(user_id: str, body: RoleUpdate, session: SessionDep,
                       principal: CanManageMembers) -> MemberOut:
    return MemberOut.model_validate(members.change_role(
        session=session, principal=principal, user_id=user_id, role=body.role))


@router.delete("/current/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(user_id: str, session: SessionDep, principal: CanManageMembers) -> Response:
    members.remove_member(session=session, principal=principal, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/current/invitations", response_model=list[InvitationOut])
def list_invitations(session: ReadSessionDep,
                     principal: CanManageMembers) -> list[InvitationOut]:
    return [InvitationOut.model_validate(i) for i in
            members.list_invitations(session=session, workspace_id=principal.workspace_id)]


@router.post("/current/invitations", response_model=InvitationCreated,
             status_code=status.HTTP_201_CREATED)
def create_invitation(body: InvitationCreate, session: SessionDep, runtime: RuntimeDep,
                      principal: CanManageMembers) -> InvitationCreated:
    invitation, token = members.create_invitation(
        session=session, principal=principal, role=body.role, email=body.email,
        days=body.days or runtime.settings.invitation_days)
    return InvitationCreated(**InvitationOut.model_validate(invitation).model_dump(),
                             token=token)


@router.delete("/current/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_invitation(invitation_id: str, session: SessionDep,
                      principal: CanManageMembers) -> Response:
    members.revoke_invitation(session=session, principal=principal,
                              invitation_id=invitation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
