"""Search API shapes."""

from pydantic import BaseModel, Field

from casework.search.service import SearchMode


class HitOut(BaseModel):
    document_id: str | None
    note_id: str | None
    collection_id: str | None
    title: str
    filename: str | None
    media_type: str
    page: int = Field(description="1-based page of the passage (notes: 1).")
    start_char: int = Field(description="Offset of the passage in the page's text.")
    end_char: int
    snippet: str = Field(description="HTML-escaped passage excerpt; matches in <mark>.")
    score: float


class SearchOut(BaseModel):
    query: str
    mode: SearchMode
    hits: list[HitOut]
    limit: int
    offset: int
    has_more: bool
    took_ms: float
    warnings: list[str]
