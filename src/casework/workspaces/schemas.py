"""Workspace, member and invitation API shapes."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from casework.accounts.models import Role

WorkspaceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                 max_length=120)]


class WorkspaceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: WorkspaceName


class WorkspaceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: WorkspaceName | None = None
    require_2fa: bool | None = Field(
        default=None, description="Refuse members without two-factor authentication.")


class WorkspaceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    slug: str = Field(description="Send as the X-Workspace header to act in this workspace.")
    require_2fa: bool = False
    created_at: datetime


class MemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    user_id: str
    email: str
    display_name: str
    role: Role
    two_factor: bool


class RoleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role = Role.viewer
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] | None = \
        Field(default=None, description="If set, only this address can accept.")
    days: Annotated[int, Field(ge=1, le=90)] | None = None


class InvitationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    role: Role
    email: str | None
    created_at: datetime
    expires_at: datetime


class InvitationCreated(InvitationOut):
    token: str = Field(description="Shown once: send it to the invitee.")


class JoinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10,
                                            max_length=200)]
