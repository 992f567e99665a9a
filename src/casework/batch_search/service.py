"""Batch searches: accept a CSV of terms (and queue the run), run it, list, read and export
the results. One job runs the whole list: each term's matching documents are counted
exactly (search/matching.py), then each term's unique hits, the documents that no other
term of the list found (which terms earn their keep in a review set)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.batch_search.job_kinds import RUN_BATCH_SEARCH
from casework.batch_search.models import BatchSearch, BatchStatus
from casework.batch_search.terms import read_terms
from casework.collections.models import Collection
from casework.core.database import utcnow
from casework.core.errors import Conflict
from casework.core.scoping import find_scoped, get_scoped, scoped
from casework.documents.models import Document
from casework.jobs import service as jobs_service
from casework.search.matching import matching_documents
from casework.search.query import parse_query

MAX_LISTED_DOCUMENTS = 500  # document ids kept per term (the counts are exact)
MAX_BATCHES = 100  # listed, newest first
ID_BATCH = 500


def create_batch(*, session: Session, principal: Principal, filename: str, data: bytes,
                 collection_id: str | None, max_attempts: int,
                 notify: Callable[[int], None] | None) -> BatchSearch:
    """Check the CSV now (so a bad row is a 422 naming it), store the terms, queue the run."""
    terms = read_terms(data)
    if collection_id:
        get_scoped(session, Collection, principal.workspace_id, collection_id,
                   noun="collection")
    batch = BatchSearch(workspace_id=principal.workspace_id,
                        name=(filename or "terms.csv")[:255], collection_id=collection_id or None,
                        terms=[t.as_json() for t in terms], created_by_user_id=principal.user_id,
                        created_by_label=(principal.label or "")[:320] or None)
    session.add(batch)
    session.flush()
    jobs_service.enqueue(session=session, kind=RUN_BATCH_SEARCH,
                         payload={"batch_id": batch.id}, workspace_id=principal.workspace_id,
                         max_attempts=max_attempts, notify=notify)
    audit.record_by(session=session, principal=principal, action="search.batch",
                    target_type="batch_search", target_id=batch.id,
                    details={"terms": len(terms), "collection_id": batch.collection_id})
    return batch


def get_batch(*, session: Session, workspace_id: str, batch_id: str) -> BatchSearch:
    return get_scoped(session, BatchSearch, workspace_id, batch_id, noun="batch search")


def list_batches(*, session: Session, workspace_id: str) -> list[BatchSearch]:
    return list(session.scalars(scoped(BatchSearch, workspace_id).order_by(
        BatchSearch.created_at.desc(), BatchSearch.id).limit(MAX_BATCHES)))


def start_run(*, session: Session, workspace_id: str, batch_id: str) -> BatchSearch | None:
    batch = find_scoped(session, BatchSearch, workspace_id, batch_id)
    if batch is not None:
        batch.status = BatchStatus.running
        session.flush()
    return batch


def count_terms(*, session: Session, batch: BatchSearch,
                progress: Callable[[float], None]) -> list[dict[str, Any]]:
    """Each term's documents, then its unique ones. Reads only; the caller stores them."""
    found: list[set[str]] = []
    for number, term in enumerate(batch.terms, start=1):
        found.append(matching_documents(session, workspace_id=batch.workspace_id,
                                        query=parse_query(term["term"]),
                                        collection_id=batch.collection_id))
        progress(number / (len(batch.terms) + 1))
    hits_per_document = Counter(doc for docs in found for doc in docs)
    return [{"term": term["term"], "label": term["label"], "documents": len(docs),
             "unique": sum(1 for doc in docs if hits_per_document[doc] == 1),
             "document_ids": sorted(docs)[:MAX_LISTED_DOCUMENTS]}
            for term, docs in zip(batch.terms, found, strict=True)] + [
        {"documents_hit": len(hits_per_document)}]


def finish_run(*, session: Session, workspace_id: str, batch_id: str,
               results: list[dict[str, Any]]) -> None:
    batch = find_scoped(session, BatchSearch, workspace_id, batch_id)
    if batch is None:
        return
    *per_term, total = results
    batch.results, batch.documents_hit = per_term, total["documents_hit"]
    batch.status, batch.finished_at = BatchStatus.ready, utcnow()
    session.flush()


def fail_run(*, session: Session, workspace_id: str, batch_id: str, error: str) -> None:
    batch = find_scoped(session, BatchSearch, workspace_id, batch_id)
    if batch is not None:
        batch.status, batch.error, batch.finished_at = BatchStatus.failed, error[:500], utcnow()
        session.flush()


# --- CSV downloads ------------------------------------------------------------------------

def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells starting with these as formulas (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _lines(rows: Iterator[list[object]]) -> Iterator[str]:
    for row in rows:
        buffer = io.StringIO()
        csv.writer(buffer).writerow([_cell(v) for v in row])
        yield buffer.getvalue()


def _ready(batch: BatchSearch) -> list[dict[str, Any]]:
    if batch.status != BatchStatus.ready or batch.results is None:
        raise Conflict(f"this batch search is {batch.status}: its results are not ready")
    return batch.results


def summary_csv(*, batch: BatchSearch) -> Iterator[str]:
    """One row per term: its label, the term, documents hit, unique hits."""
    results = _ready(batch)
    return _lines(iter([["label", "term", "documents", "unique_documents"],
                        *([r["label"], r["term"], r["documents"], r["unique"]]
                          for r in results)]))


def hits_csv(*, session: Session, batch: BatchSearch) -> Iterator[str]:
    """One row per (term, document): the documents behind each count (up to
    MAX_LISTED_DOCUMENTS per term), with file name and collection."""
    results = _ready(batch)
    ids = sorted({doc for r in results for doc in r["document_ids"]})
    documents: dict[str, Document] = {}
    for start in range(0, len(ids), ID_BATCH):  # bounded IN lists
        documents.update((d.id, d) for d in session.scalars(scoped(
            Document, batch.workspace_id).where(Document.id.in_(ids[start:start + ID_BATCH]))))
    rows: list[list[object]] = [["label", "term", "document_id", "filename", "collection_id"]]
    for r in results:
        for doc_id in r["document_ids"]:
            doc = documents.get(doc_id)
            if doc is not None:  # deleted since the run
                rows.append([r["label"], r["term"], doc.id, doc.filename, doc.collection_id])
    return _lines(iter(rows))
