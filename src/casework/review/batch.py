"""Batch coding: one edit applied to listed documents, or to every document a search
matches (its words and filters, as GET /search takes them), in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.core.errors import InvalidInput
from casework.core.ids import new_id
from casework.review import service
from casework.review.coding import CodingEdit
from casework.runtime import Runtime
from casework.search.filters import SearchFilters, scoped_chunks
from casework.search.models import Chunk
from casework.search.query import parse_query

# A search's passages read to find its documents: this many per document allowed.
PASSAGES_PER_DOCUMENT = 5


@dataclass(slots=True)
class BatchResult:
    batch_id: str
    matched: int  # documents selected
    changed: int  # of which the edit changed at least one field
    warnings: list[str] = field(default_factory=list)


def search_documents(*, session: Session, runtime: Runtime, workspace_id: str,
                     text: str | None, filters: SearchFilters, limit: int,
                     notes: list[str]) -> list[str]:
    """Every document (not note) with a passage matching the words and the filters, in
    order of first appearance. Keyword matching, whatever the page's mode: semantic search
    ranks every passage and "matches" none. Without words: every document the filters
    keep. More than `limit` documents is refused, never cut short."""
    documents: dict[str, None] = {}
    if text and text.strip():
        depth = limit * PASSAGES_PER_DOCUMENT
        ranked = runtime.keyword_index.search(
            session, workspace_id=workspace_id, query=parse_query(text.strip()),
            filters=filters, limit=depth + 1, notes=notes)
        if len(ranked) > depth:
            raise InvalidInput(f"the search matches more than {depth} passages: narrow it "
                               f"to at most {limit} documents")
        ids = [chunk_id for chunk_id, _ in ranked]
        owners = dict(session.execute(select(Chunk.id, Chunk.document_id).where(
            Chunk.workspace_id == workspace_id, Chunk.id.in_(ids))).all()) if ids else {}
        for chunk_id in ids:
            if owners.get(chunk_id):
                documents[owners[chunk_id]] = None
    else:
        if not filters.any:
            raise InvalidInput("give search words or at least one filter: a batch never "
                               "codes the whole workspace by default")
        rows = session.scalars(scoped_chunks(
            select(Chunk.document_id).where(Chunk.document_id.is_not(None)).distinct(),
            workspace_id=workspace_id, filters=filters).limit(limit + 1))
        documents = dict.fromkeys(rows)
    if len(documents) > limit:
        raise InvalidInput(f"the selection holds more than {limit} documents: narrow it",
                           details={"limit": limit})
    return list(documents)


def batch_code(*, session: Session, runtime: Runtime, principal: Principal,
               edit: CodingEdit, document_ids: list[str] | None = None,
               text: str | None = None, filters: SearchFilters | None = None) -> BatchResult:
    """Code listed documents, or a search's documents: all or nothing, one audit event
    (`review.batch_code`) whose id every history row of the batch carries."""
    limit = runtime.settings.review_batch_max
    if not edit.given:
        raise InvalidInput("the coding changes nothing: give at least one field")
    notes: list[str] = []
    selection: dict[str, object]
    if document_ids is not None:
        if len(document_ids) > limit:
            raise InvalidInput(f"at most {limit} documents per batch", details={"limit": limit})
        ids = service.existing_documents(session, principal.workspace_id, document_ids)
        selection = {"documents": "listed"}
    else:
        filters = filters or SearchFilters()
        ids = search_documents(session=session, runtime=runtime,
                               workspace_id=principal.workspace_id, text=text,
                               filters=filters, limit=limit, notes=notes)
        search = {k: v for k, v in _filter_summary(filters).items() if v is not None}
        if text:  # as the search log keeps a query: its keyed hash, never its words
            search["query_hash"] = audit.query_digest(
                key=runtime.settings.secret_key.get_secret_value(), text=text)
        selection = {"search": search}
    batch_id = new_id()
    changed = service.apply_batch(session=session, principal=principal, document_ids=ids,
                                  edit=edit, batch_id=batch_id)
    audit.record_by(session=session, principal=principal, action="review.batch_code",
                    target_type="batch", target_id=batch_id,
                    details={"matched": len(ids), "changed": changed,
                             "coding": edit.summary(), **selection})
    return BatchResult(batch_id=batch_id, matched=len(ids), changed=changed, warnings=notes)


def _filter_summary(filters: SearchFilters) -> dict[str, object]:
    return {"collection_id": filters.collection_id, "tag": filters.tag,
            "type": filters.media_type, "entity": filters.entity_id,
            "responsiveness": filters.responsiveness, "privileged": filters.privileged,
            "hot": filters.hot, "issue": filters.issue}
