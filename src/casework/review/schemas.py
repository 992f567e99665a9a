"""Review API shapes: issues, a document's coding and its history, batch coding."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from casework.review.coding import MAX_BASIS, MAX_NOTE, Coding, CodingEdit
from casework.review.models import ReviewIssue

Responsiveness = Literal["responsive", "not_responsive", "needs_further_review"]
IssueName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
DocumentId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: IssueName


class IssueOut(BaseModel):
    id: str
    name: str
    documents: int = Field(description="Documents coded with this issue.")
    created_at: datetime

    @classmethod
    def build(cls, issue: ReviewIssue, documents: int) -> IssueOut:
        return cls(id=issue.id, name=issue.name, documents=documents,
                   created_at=issue.created_at)


class CodingUpdate(BaseModel):
    """Only the fields sent change; `responsiveness: null` clears the call."""

    model_config = ConfigDict(extra="forbid")
    responsiveness: Responsiveness | None = None
    privileged: bool = False
    privilege_basis: Annotated[str, StringConstraints(max_length=MAX_BASIS)] | None = Field(
        default=None, description="Why it is privileged: attorney-client, work product...")
    hot: bool = False
    note: Annotated[str, StringConstraints(max_length=MAX_NOTE)] | None = None
    issues: list[IssueName] | None = Field(default=None, max_length=100,
                                           description="Replaces the document's issues.")
    add_issues: list[IssueName] = Field(default_factory=list, max_length=100)
    remove_issues: list[IssueName] = Field(default_factory=list, max_length=100)

    def to_edit(self) -> CodingEdit:
        sent = set(self.model_fields_set)
        if sent & {"add_issues", "remove_issues"}:
            sent = (sent - {"add_issues", "remove_issues"}) | {"issues"}
        basis = (self.privilege_basis or "").strip() or None
        note = self.note if self.note and self.note.strip() else None
        return CodingEdit(given=frozenset(sent), responsiveness=self.responsiveness,
                          privileged=self.privileged, privilege_basis=basis, hot=self.hot,
                          note=note, issues=tuple(self.issues) if self.issues is not None
                          else None, add_issues=tuple(self.add_issues),
                          remove_issues=tuple(self.remove_issues))


class CodingOut(BaseModel):
    responsiveness: Responsiveness | None
    privileged: bool
    privilege_basis: str | None
    hot: bool
    issues: list[str]
    note: str | None
    updated_at: datetime | None = Field(description="Last change; null while uncoded.")
    updated_by: str | None

    @classmethod
    def build(cls, coding: Coding) -> CodingOut:
        return cls(responsiveness=coding.responsiveness,  # type: ignore[arg-type]
                   privileged=coding.privileged, privilege_basis=coding.privilege_basis,
                   hot=coding.hot, issues=coding.issues, note=coding.note,
                   updated_at=coding.updated_at, updated_by=coding.updated_by)


class HistoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    field: str
    old_value: str | None
    new_value: str | None
    created_at: datetime
    actor_user_id: str | None
    actor_api_key_id: str | None
    actor_label: str | None
    batch_id: str | None = Field(description="The batch coding this came from (its audit "
                                 "event's target id).")


class BatchSearch(BaseModel):
    """The search whose documents are coded: GET /search's words and filters."""

    model_config = ConfigDict(extra="forbid")
    q: Annotated[str, StringConstraints(max_length=1000)] | None = None
    collection_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    tag: Annotated[str, StringConstraints(max_length=64)] | None = None
    type: Annotated[str, StringConstraints(max_length=127)] | None = None
    entity: Annotated[str, StringConstraints(max_length=64)] | None = None
    responsiveness: Literal["responsive", "not_responsive", "needs_further_review",
                            "uncoded"] | None = None
    privileged: bool | None = None
    hot: bool | None = None
    issue: IssueName | None = None


class BatchCoding(BaseModel):
    model_config = ConfigDict(extra="forbid")
    document_ids: list[DocumentId] | None = Field(default=None, max_length=100_000)
    search: BatchSearch | None = None
    coding: CodingUpdate

    @model_validator(mode="after")
    def _one_selection(self) -> BatchCoding:
        if (self.document_ids is None) == (self.search is None):
            raise ValueError("give either document_ids or search")
        return self


class BatchOut(BaseModel):
    batch_id: str
    matched: int = Field(description="Documents selected.")
    changed: int = Field(description="Of those, documents whose coding changed.")
    warnings: list[str]
