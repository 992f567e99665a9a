"""Workspace API shapes."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

WorkspaceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                 max_length=120)]


class WorkspaceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: WorkspaceName


class WorkspaceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: WorkspaceName


class WorkspaceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    slug: str = Field(description="Send as the X-Workspace header to act in this workspace.")
    created_at: datetime
