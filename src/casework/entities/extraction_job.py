"""The extract_entities job: a document's pages to entities and mentions, after its text is
searchable (JobPriority.enrich: behind every waiting upload's text and every embedding).

A long document is split into jobs of SPAN_PAGES pages, as embedding is: a job is never
interrupted for a newer upload, so one long job would hold a worker for minutes while the
upload waits. Within a job, pages are read and written BATCH_PAGES at a time, each batch its
own transaction; the first one removes what an earlier attempt wrote in the job's pages, so
a rerun replaces the mentions and duplicates nothing. Progress is reported per batch, which
is where a job whose document was deleted learns it and stops.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select

from casework.core.database import transaction
from casework.core.scoping import find_scoped
from casework.documents.models import Document, DocumentPage
from casework.entities import service
from casework.entities.extraction import PageText, extract_pages, pattern_rules
from casework.jobs import service as jobs_service
from casework.jobs.handlers import JobContext

log = logging.getLogger(__name__)

BATCH_PAGES = 32
# ~20 s of spaCy at ~10 pages/s: the longest a new upload's text waits for a free worker
# because of entities (docs/benchmarks.md#entities).
SPAN_PAGES = 200


def _document_date(document: Document) -> date:
    """What "yesterday" means in this document: when it was written (an e-mail's Date, a
    photo's capture time), else when it was uploaded."""
    return (document.captured_at or document.created_at).date()


def _split(ctx: JobContext, numbers: list[int]) -> tuple[int, int] | None:
    """Keep the first span of a long document and queue a job per other span; None when
    the document fits one job."""
    if len(numbers) <= SPAN_PAGES:
        return None
    spans = [(numbers[i], numbers[min(i + SPAN_PAGES, len(numbers)) - 1])
             for i in range(0, len(numbers), SPAN_PAGES)]
    document_id = ctx.payload["document_id"]
    with transaction(ctx.runtime.sessions) as session:
        jobs_service.fan_out(
            session=session, job_id=ctx.job_id,
            payload={"document_id": document_id, "pages": list(spans[0])},
            siblings=[{"document_id": document_id, "pages": list(s)} for s in spans[1:]],
            notify=ctx.runtime.notify_jobs)
    return spans[0]


def extract_entities(ctx: JobContext) -> None:
    runtime = ctx.runtime
    settings = runtime.settings
    workspace_id = ctx.workspace_id or ""
    document_id = ctx.payload["document_id"]
    if not settings.entity_extraction:
        return  # queued before it was switched off
    with transaction(runtime.read_sessions) as session:
        document = find_scoped(session, Document, workspace_id, document_id)
        if document is None:
            return  # deleted while queued
        anchor = _document_date(document)
        numbers = list(session.scalars(select(DocumentPage.number).where(
            DocumentPage.workspace_id == workspace_id, DocumentPage.document_id == document_id,
        ).order_by(DocumentPage.number)))
    span = ctx.payload.get("pages") or _split(ctx, numbers)
    if span is not None:
        numbers = [n for n in numbers if span[0] <= n <= span[1]]
    recognizer = runtime.names if runtime.names.available else None
    rules = pattern_rules(settings)
    batches = [numbers[i:i + BATCH_PAGES] for i in range(0, len(numbers), BATCH_PAGES)] or [[]]
    mentions = 0
    for done, batch in enumerate(batches, start=1):
        with transaction(runtime.read_sessions) as session:
            pages = [PageText(number, text) for number, text in session.execute(
                select(DocumentPage.number, DocumentPage.text).where(
                    DocumentPage.workspace_id == workspace_id,
                    DocumentPage.document_id == document_id,
                    DocumentPage.number.in_(batch)).order_by(DocumentPage.number))]
        with runtime.metrics.time_stage("entities"):
            found = extract_pages(pages, recognizer=recognizer, rules=rules, anchor=anchor,
                                  max_chars=settings.entity_max_page_chars)
        texts = {page.number: page.text for page in pages}
        with transaction(runtime.sessions) as session:
            if find_scoped(session, Document, workspace_id, document_id) is None:
                return  # deleted meanwhile; its mentions went with it
            if done == 1:
                service.remove_document_mentions(
                    session=session, workspace_id=workspace_id, document_id=document_id,
                    pages=tuple(span) if span is not None else None)
            mentions += service.write_mentions(
                session=session, workspace_id=workspace_id, document_id=document_id,
                pages=[(number, texts[number], finds) for number, finds in found])
        ctx.report_progress(done / len(batches))
    log.info("entities: %d mentions in document %s (%d pages)", mentions, document_id,
             len(numbers))
