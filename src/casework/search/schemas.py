"""Search API shapes."""

from pydantic import BaseModel, Field

from casework.entities.schemas import EntityOut
from casework.search.service import SearchMode, SearchResult


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


class CollectionHitOut(BaseModel):
    id: str
    name: str
    kind: str
    reference: str | None


class SearchOut(BaseModel):
    query: str
    mode: SearchMode
    hits: list[HitOut]
    collections: list[CollectionHitOut] = Field(
        default_factory=list,
        description="Up to 5 collections whose name or reference number holds every word "
        "of the query (ignoring case), on the first page (offset 0) of a search not limited "
        "to one collection; empty otherwise.")
    limit: int
    offset: int
    has_more: bool
    took_ms: float
    warnings: list[str]
    entity_facets: list[EntityOut] = Field(
        default_factory=list, description="The entities most of this page's hit documents "
        "mention; filter by one with `entity=<id>`.")

    @classmethod
    def build(cls, result: SearchResult, *, limit: int, offset: int,
              entity_facets: list[EntityOut] | None = None) -> "SearchOut":
        """The API's answer for a result; the CLI prints the same shape."""
        return cls(query=result.query, mode=result.mode, limit=limit, offset=offset,
                   has_more=result.has_more, took_ms=result.took_ms, warnings=result.warnings,
                   hits=[HitOut.model_validate(h, from_attributes=True) for h in result.hits],
                   collections=[CollectionHitOut.model_validate(c, from_attributes=True)
                                for c in result.collections],
                   entity_facets=entity_facets or [])
