"""Collection API shapes."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from casework.collections.models import CollectionKind

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=120)]
Description = Annotated[str, StringConstraints(max_length=10_000)]


class CollectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    kind: CollectionKind = CollectionKind.case
    reference: Reference | None = None
    description: Description = ""


class CollectionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    kind: CollectionKind | None = None
    reference: Reference | None = None
    description: Description | None = None


class CollectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    kind: CollectionKind
    reference: str | None
    description: str
    created_at: datetime
    updated_at: datetime
