"""The fields of `Settings` for entity extraction: on or off, how much of a page is read, how
phone numbers and dates are read, and the patterns of the installation's reference numbers.

`Settings` (core/settings.py) inherits them, so there is still one settings object.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

MAX_REFERENCE_PATTERNS = 20


class EntityFields(BaseModel):
    """Fields only: never built on its own (`Settings` reads them from the environment)."""

    entity_extraction: bool = Field(
        default=True, description="Find people, organisations, places and patterns (e-mail, "
        "phone, IBAN, amounts, dates, references) in every document after its text is "
        "searchable, as a bulk job. Without the spaCy model only the patterns are found.")
    entity_phone_region: Annotated[str, Field(pattern="^[A-Z]{2}$")] = Field(
        default="GB", description="Region (ISO 3166 alpha-2) for phone numbers written "
        "without a country code; numbers with +CC are read as written.")
    entity_date_order: Literal["DMY", "MDY"] = Field(
        default="DMY", description="How 03/04/2024 is read: 3 April (DMY) or March 4 (MDY).")
    entity_max_page_chars: Annotated[int, Field(ge=1000, le=10_000_000)] = Field(
        default=200_000, description="Characters of one page read for entities; the rest "
        "of a longer page is skipped (bounds the work per page).")
    entity_reference_patterns: list[str] = Field(
        default_factory=lambda: [r"\b[A-Z]{2,5}-\d{4}-\d{2,6}\b",
                                 r"\b(?:Case|Claim|Ref|Reference|Invoice)\s*(?:No\.?|#)?\s*"
                                 r"[:#]?\s*([A-Z0-9][A-Z0-9/-]{3,24}\d)\b"],
        description="Regular expressions (a JSON list) for case or reference numbers. The "
        "first group, if any, is the number; otherwise the whole match. Matched "
        "case-sensitively, so 'Ref' is not 'ref'.")

    @field_validator("entity_reference_patterns")
    @classmethod
    def _check_reference_patterns(cls, value: list[str]) -> list[str]:
        if len(value) > MAX_REFERENCE_PATTERNS:
            raise ValueError(f"at most {MAX_REFERENCE_PATTERNS} ENTITY_REFERENCE_PATTERNS")
        for pattern in value:
            if not pattern or len(pattern) > 300:
                raise ValueError("each ENTITY_REFERENCE_PATTERNS entry must be 1-300 "
                                 "characters")
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"ENTITY_REFERENCE_PATTERNS: {pattern!r} is not a regular "
                                 f"expression: {exc}") from None
            if compiled.match(""):
                raise ValueError(f"ENTITY_REFERENCE_PATTERNS: {pattern!r} matches the empty "
                                 "text")
        return value
