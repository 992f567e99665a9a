"""Usage API shapes: one row per UTC day (zeros included), totals, popular terms and tags."""

from __future__ import annotations

from pydantic import BaseModel, Field

from casework.usage.service import UsageReport


class UsageDayOut(BaseModel):
    day: str = Field(description="YYYY-MM-DD (UTC).")
    documents_added: int
    bytes_added: int
    storage_bytes: int = Field(description="Bytes of the workspace's current documents "
                               "that had been added by the end of the day.")
    searches: int
    search_avg_ms: float | None
    search_p95_ms: float | None = Field(description="From a histogram of 2^(1/4) ms buckets: "
                                        "the upper edge of the bucket holding the 95th "
                                        "percentile, at most 19 % above the true value.")
    questions: int
    questions_answered: int = Field(description="Questions answered from the material "
                                    "(not 'not found').")
    question_avg_ms: float | None
    question_p95_ms: float | None = Field(description="Exact (nearest rank).")
    active_users: int = Field(description="Users who made an authenticated request.")


class UsageTotalsOut(BaseModel):
    documents: int = Field(description="Documents in the workspace now.")
    storage_bytes: int = Field(description="Their bytes now.")
    documents_added: int
    bytes_added: int
    searches: int
    questions: int
    active_users: int = Field(description="Different users over the period.")


class PopularTermOut(BaseModel):
    term: str
    searches: int
    people: int = Field(description="At least this many different people searched it.")


class PopularTagOut(BaseModel):
    tag: str
    items: int = Field(description="Documents and notes added in the period with the tag.")


class UsageOut(BaseModel):
    days: int
    since: str
    until: str
    totals: UsageTotalsOut
    daily: list[UsageDayOut]
    popular_terms: list[PopularTermOut] = Field(
        description="Search terms (never questions) at least `term_min_people` different "
        "people searched in the period, most searched first.")
    popular_tags: list[PopularTagOut]
    term_min_people: int

    @classmethod
    def build(cls, report: UsageReport) -> UsageOut:
        return cls(
            days=report.days, since=report.since, until=report.until,
            totals=UsageTotalsOut(
                documents=report.documents, storage_bytes=report.storage_bytes,
                documents_added=sum(d.documents_added for d in report.daily),
                bytes_added=sum(d.bytes_added for d in report.daily),
                searches=report.searches, questions=report.questions,
                active_users=report.active_users),
            daily=[UsageDayOut.model_validate(d, from_attributes=True) for d in report.daily],
            popular_terms=[PopularTermOut.model_validate(t, from_attributes=True)
                           for t in report.popular_terms],
            popular_tags=[PopularTagOut.model_validate(t, from_attributes=True)
                          for t in report.popular_tags],
            term_min_people=report.term_min_people)
