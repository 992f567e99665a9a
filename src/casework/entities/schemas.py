"""Entity API shapes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from casework.api.pagination import Page
from casework.entities.models import EntityKind
from casework.entities.service import EntityCount, MentionRow


class EntityOut(BaseModel):
    id: str
    kind: EntityKind
    name: str
    key: str = Field(description="The normalised form spelling variants share.")
    mentions: int
    documents: int

    @classmethod
    def build(cls, row: EntityCount) -> EntityOut:
        entity = row.entity
        return cls(id=entity.id, kind=entity.kind, name=entity.name, key=entity.key,
                   mentions=row.mentions, documents=row.documents)


class MentionOut(BaseModel):
    document_id: str
    collection_id: str
    title: str
    page: int
    start: int = Field(description="Offset of the mention in the page's text.")
    end: int
    text: str = Field(description="The page's text from start to end.")

    @classmethod
    def build(cls, row: MentionRow) -> MentionOut:
        mention = row.mention
        return cls(document_id=mention.document_id, collection_id=row.collection_id,
                   title=row.title, page=mention.page, start=mention.start_char,
                   end=mention.end_char, text=mention.text)


class EntityDetailOut(BaseModel):
    entity: EntityOut
    mentions: Page[MentionOut] = Field(description="Every mention, paged, in document and "
                                       "page order.")


class EntityMerge(BaseModel):
    into: str = Field(min_length=1, max_length=64,
                      description="The entity that keeps the mentions.")
