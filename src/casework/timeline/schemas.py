"""Timeline API shapes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from casework.timeline.service import TimelineEvent


class TimelineEventOut(BaseModel):
    date: str = Field(description='ISO "YYYY-MM-DD", or "YYYY-MM" when the text names only '
                      "a month.")
    sentence: str = Field(description="The sentence holding the date, verbatim: the page's "
                          "text from start to end.")
    document_id: str
    title: str = Field(description="The document's title, else its filename.")
    page: int = Field(description="1-based page number.")
    start: int = Field(description="Offset of the sentence in the page's text.")
    end: int
    entity_ids: list[str] = Field(description="Entities other than dates the sentence "
                                  "mentions, in order of appearance.")

    @classmethod
    def build(cls, event: TimelineEvent) -> TimelineEventOut:
        return cls(date=event.date, sentence=event.sentence, document_id=event.document_id,
                   title=event.title, page=event.page, start=event.start, end=event.end,
                   entity_ids=list(event.entity_ids))


class TimelineOut(BaseModel):
    events: list[TimelineEventOut] = Field(description="One page of events, in date order "
                                           "(a month before its days), then document "
                                           "title, page and position.")
    total: int = Field(description="Events matching the filters, across all pages.")
    limit: int
    offset: int
