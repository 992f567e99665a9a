"""Note API shapes."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from casework.notes.models import Note

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Body = Annotated[str, StringConstraints(max_length=1_000_000)]


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title
    body: Body = ""
    collection_id: str | None = Field(default=None, max_length=64)
    tags: list[str] = Field(default_factory=list, max_length=50)


class NoteUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title | None = None
    body: Body | None = None
    collection_id: str | None = Field(default=None, max_length=64)
    tags: list[str] | None = Field(default=None, max_length=50)


class NoteOut(BaseModel):
    id: str
    title: str
    body: str
    collection_id: str | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def build(cls, note: Note, tags: list[str]) -> "NoteOut":
        return cls(id=note.id, title=note.title, body=note.body,
                   collection_id=note.collection_id, tags=tags, created_at=note.created_at,
                   updated_at=note.updated_at)
