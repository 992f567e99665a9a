"""Near-duplicate API shapes: groups with their pivot and members."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from casework.neardup.service import Group, Member


class MemberOut(BaseModel):
    document_id: str
    filename: str
    title: str | None
    collection_id: str
    created_at: datetime
    words: int
    similarity: float = Field(description="Estimated Jaccard similarity of its word "
                              "shingles to the pivot's (the pivot: 1.0).")

    @classmethod
    def build(cls, member: Member) -> MemberOut:
        return cls(document_id=member.document_id, filename=member.filename,
                   title=member.title, collection_id=member.collection_id,
                   created_at=member.created_at, words=member.words,
                   similarity=member.similarity)


class GroupOut(BaseModel):
    id: str
    pivot_document_id: str = Field(description="The longest member (earliest on a tie).")
    members: list[MemberOut] = Field(description="The pivot first, then by length.")

    @classmethod
    def build(cls, group: Group) -> GroupOut:
        return cls(id=group.id, pivot_document_id=group.pivot.document_id,
                   members=[MemberOut.build(m) for m in group.members])


class NearDuplicatesOut(BaseModel):
    threshold: float
    groups: list[GroupOut]
    total: int = Field(description="Groups in all (the page holds `limit` from `offset`).")
    limit: int
    offset: int


class BackfillOut(BaseModel):
    queued: int = Field(description="Documents whose near-duplicate job was queued now; "
                        "0 when every document is signed or already waiting.")
