"""Ask API shapes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from casework.ask.service import AnswerMode


class AskIn(BaseModel):
    question: str = Field(min_length=1, max_length=1000)
    collection_id: str | None = Field(default=None, max_length=64,
                                      description="Only this collection's material.")
    document_ids: list[str] | None = Field(default=None, max_length=100,
                                           description="Only these documents.")
    mode: AnswerMode = Field(default=AnswerMode.auto, description="auto: generated when a "
                             "generator is configured (LLM_BASE_URL), else extractive.")


class CitationOut(BaseModel):
    document_id: str | None
    note_id: str | None
    title: str
    page: int = Field(description="1-based page (notes: 1).")
    start: int = Field(description="Offset of the quoted text in the page's text.")
    end: int
    text: str = Field(description="The page's text from start to end, verbatim.")


class ClaimOut(BaseModel):
    text: str
    supported: bool = Field(description="At least one citation was found in the passages.")
    citations: list[int] = Field(description="Indexes into `citations`.")


class AskOut(BaseModel):
    question: str
    answer: str
    found: bool = Field(description="False: the material does not hold the answer.")
    mode: AnswerMode
    confidence: float
    citations: list[CitationOut]
    claims: list[ClaimOut] = Field(description="Generated answers: each statement and "
                                   "whether its citations hold.")
    took_ms: float
    cached: bool
    warnings: list[str]
