"""Production API shapes: what to produce and how to number it; a production's state."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from casework.productions.models import (
    FamilyPolicy,
    NativePolicy,
    Production,
    StampPosition,
)
from casework.review.schemas import BatchSearch

DocumentId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
# Letters, digits, and - _ . inside: safe in a file name, a load file and a stamp.
BatesPrefix = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$")]
Legend = Annotated[str, StringConstraints(pattern=r"^[ -~]{1,80}$", strip_whitespace=True)]
Volume = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")]


class ProductionCreate(BaseModel):
    """One selection (a collection, listed documents, or a search) and the numbering.
    Privileged documents in the selection are withheld: each becomes one slip-sheet page.
    `natives` picks documents sent in their original form (never privileged, redacted or
    container documents): each is one slip-sheet page in the images. `families`:
    `complete` (the default) adds every other member of a selected document's family (an
    e-mail and its attachments; a mailbox's messages are each a family of their own),
    `as_selected` produces only what was selected."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(min_length=1, max_length=200,
                                           strip_whitespace=True)]
    collection_id: DocumentId | None = None
    responsiveness: Literal["responsive", "not_responsive", "needs_further_review"] | None \
        = None
    document_ids: list[DocumentId] | None = Field(default=None, min_length=1,
                                                  max_length=100_000)
    search: BatchSearch | None = None
    bates_prefix: BatesPrefix
    start_number: int = Field(default=1, ge=0, le=10**12)
    digits: int = Field(default=6, ge=1, le=12)
    stamp_position: StampPosition = StampPosition.bottom_right
    legend: Legend | None = None
    volume: Volume = "VOL001"
    natives: NativePolicy = NativePolicy.none
    families: FamilyPolicy = FamilyPolicy.complete

    @model_validator(mode="after")
    def _one_selection(self) -> ProductionCreate:
        chosen = [x for x in (self.collection_id, self.document_ids, self.search)
                  if x is not None]
        if len(chosen) != 1:
            raise ValueError("give exactly one of collection_id, document_ids or search")
        if self.responsiveness is not None and self.collection_id is None:
            raise ValueError("responsiveness narrows a collection_id selection (a search "
                             "has its own filters)")
        if len(str(self.start_number)) > self.digits and self.digits < 12:
            raise ValueError("start_number has more digits than `digits`")
        return self


class ProductionOut(BaseModel):
    id: str
    name: str
    status: str
    selection: dict[str, object]
    documents: int
    documents_done: int
    produced_count: int
    withheld_count: int
    native_count: int
    page_count: int
    bates_prefix: str
    start_number: int
    digits: int
    stamp_position: str
    legend: str | None
    volume: str
    natives: str
    families: str = Field(description="complete: selected documents brought their "
                          "families; as_selected: only what was selected.")
    first_bates: str | None
    last_bates: str | None
    size_bytes: int | None
    sha256: str | None
    error: str | None
    download_url: str | None
    requested_by: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def build(cls, p: Production) -> ProductionOut:
        return cls(id=p.id, name=p.name, status=str(p.status), selection=p.selection,
                   documents=len(p.document_ids), documents_done=p.documents_done,
                   produced_count=p.produced_count, withheld_count=p.withheld_count,
                   native_count=p.native_count, page_count=p.page_count,
                   bates_prefix=p.bates_prefix, start_number=p.start_number,
                   digits=p.digits, stamp_position=p.stamp_position, legend=p.legend,
                   volume=p.volume, natives=p.natives, families=p.families,
                   first_bates=p.first_bates,
                   last_bates=p.last_bates, size_bytes=p.size_bytes, sha256=p.sha256,
                   error=p.error,
                   download_url=f"/api/v1/productions/{p.id}/download"
                   if p.status == "succeeded" else None,
                   requested_by=p.requested_by_label, created_at=p.created_at,
                   finished_at=p.finished_at)
