"""Redaction API shapes. Boxes are normalised page coordinates, 0..1, origin at the top
left of the page as it is shown (the page preview's frame): x0 < x1, y0 < y1."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from casework.redaction.finding import MAX_PATTERN, MAX_TERM, MAX_TERMS, Found
from casework.redaction.models import RedactedCopy, Redaction
from casework.redaction.reasons import MAX_LABEL, Reason
from casework.redaction.service import MAX_PER_REQUEST, NewRedaction, region

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Label = Annotated[str, Field(min_length=1, max_length=MAX_LABEL)]


class Preset(StrEnum):
    email = "email"
    phone = "phone"


class RedactionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    page: Annotated[int, Field(ge=1, le=1_000_000)]
    x0: Fraction
    y0: Fraction
    x1: Fraction
    y1: Fraction
    reason: Label
    source: Annotated[str, Field(pattern="^(region|search)$")] = "region"
    found_by: Annotated[str | None, Field(max_length=120)] = Field(
        default=None, description="For an accepted search hit: the preset or list that "
        "found it (`email`, `phone`, `terms`, `pattern`).")

    def as_new(self) -> NewRedaction:
        return NewRedaction(page=self.page, x0=self.x0, y0=self.y0, x1=self.x1, y1=self.y1,
                            reason=self.reason, source=self.source, found_by=self.found_by)


class RedactionsIn(BaseModel):
    """One drawn box, or the search hits the user accepted (a box per line of a hit)."""

    model_config = ConfigDict(extra="forbid")
    redactions: Annotated[list[RedactionIn], Field(min_length=1, max_length=MAX_PER_REQUEST)]


class RedactionOut(BaseModel):
    id: str
    document_id: str
    page: int
    region: list[float] = Field(description="[x0, y0, x1, y1], fractions of the page, "
                                "origin top left.")
    reason: str
    source: str
    found_by: str | None
    created_by: str | None
    created_at: datetime

    @classmethod
    def build(cls, r: Redaction) -> RedactionOut:
        return cls(id=r.id, document_id=r.document_id, page=r.page, region=region(r),
                   reason=r.reason, source=r.source, found_by=r.found_by,
                   created_by=r.created_by_label, created_at=r.created_at)


class RedactionSearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    presets: Annotated[list[Preset], Field(max_length=len(Preset))] = []
    terms: Annotated[list[Annotated[str, Field(max_length=MAX_TERM)]],
                     Field(max_length=MAX_TERMS)] = Field(
        default=[], description="Words or names, matched whole and in any case.")
    pattern: Annotated[str | None, Field(max_length=MAX_PATTERN)] = Field(
        default=None, description="A regular expression (Python syntax), any case.")


class HitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    page: int
    label: str
    text: str
    boxes: list[list[float]]


class FoundOut(BaseModel):
    """Proposals: nothing is stored until they are sent back to POST .../redactions."""

    model_config = ConfigDict(from_attributes=True)
    document_id: str
    filename: str
    hits: list[HitOut]
    truncated: bool
    ocr_pages: list[int] = Field(description="Scanned pages, read by OCR for word boxes.")
    unreadable_pages: list[int]
    error: str | None

    @classmethod
    def build(cls, found: Found) -> FoundOut:
        return cls.model_validate(found)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Label


class ReasonOut(BaseModel):
    id: str | None = Field(description="None for a built-in reason (it cannot be deleted).")
    label: str
    built_in: bool

    @classmethod
    def build(cls, reason: Reason) -> ReasonOut:
        return cls(id=reason.id, label=reason.label, built_in=reason.built_in)


class RedactedCopyOut(BaseModel):
    id: str
    document_id: str
    sha256: str
    size_bytes: int
    page_count: int
    redacted_pages: list[int]
    redaction_count: int
    verified: bool = Field(description="The copy's text layer and the OCR of its redacted "
                           "pages show nothing that was under a box; no metadata, "
                           "attachments or annotations survived. Only then is it served.")
    verification: dict[str, Any]
    stale: bool = Field(description="The document's redactions changed since it was drawn: "
                        "it is not served until produced again.")
    created_by: str | None
    created_at: datetime
    download_url: str | None = Field(description="Set when it is verified and not stale.")

    @classmethod
    def build(cls, copy: RedactedCopy, *, current_fingerprint: str) -> RedactedCopyOut:
        return cls(id=copy.id, document_id=copy.document_id, sha256=copy.sha256,
                   size_bytes=copy.size_bytes, page_count=copy.page_count,
                   redacted_pages=copy.redacted_pages, redaction_count=copy.redaction_count,
                   verified=copy.verified, verification=copy.verification,
                   stale=copy.fingerprint != current_fingerprint,
                   created_by=copy.created_by_label, created_at=copy.created_at,
                   download_url=(f"/api/v1/documents/{copy.document_id}/redacted-copy/download"
                                 if copy.verified and copy.fingerprint == current_fingerprint
                                 else None))
