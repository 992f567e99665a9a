"""The learning domain's database work: what a run learns from, its results, suggestions,
and the accept/reject feedback."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.core.database import utcnow
from casework.core.errors import Conflict, NotFound
from casework.core.ids import new_id
from casework.core.scoping import scoped
from casework.documents import service as documents_service
from casework.documents.models import Document, DocumentStatus
from casework.learning.examples import Examples
from casework.learning.models import LearningRun, SuggestionStatus, TagSuggestion
from casework.search.models import Chunk, Embedding
from casework.tags import service as tags_service
from casework.tags.models import DocumentTag, Tag
from casework.workspaces.models import Workspace

MAX_TEXT_CHARS = 20_000  # of a document's text, for TF-IDF: the start says what it is about
SUGGESTIONS_PER_DOCUMENT = 3


def workspace_ids(*, session: Session) -> list[str]:
    return list(session.scalars(select(Workspace.id).order_by(Workspace.id)))


def tagged_in_horizon(*, session: Session, workspace_id: str, horizon_days: int
                      ) -> dict[str, list[str]]:
    """Ready documents with a tag set in the last `horizon_days`, and all their tags."""
    cutoff = utcnow() - timedelta(days=horizon_days)
    recent = (select(DocumentTag.document_id)
              .join(Document, Document.id == DocumentTag.document_id)
              .where(DocumentTag.workspace_id == workspace_id,
                     Document.status == DocumentStatus.ready,
                     func.coalesce(DocumentTag.tagged_at, Document.created_at) >= cutoff))
    rows = session.execute(
        select(DocumentTag.document_id, Tag.name).join(Tag, Tag.id == DocumentTag.tag_id)
        .where(DocumentTag.workspace_id == workspace_id,
               DocumentTag.document_id.in_(recent.scalar_subquery()))
        .order_by(DocumentTag.document_id, Tag.name))
    labels: dict[str, list[str]] = defaultdict(list)
    for document_id, name in rows:
        labels[document_id].append(name)
    return dict(labels)


def untagged_documents(*, session: Session, workspace_id: str) -> list[str]:
    tagged = select(DocumentTag.document_id).where(DocumentTag.workspace_id == workspace_id)
    return list(session.scalars(
        select(Document.id).where(Document.workspace_id == workspace_id,
                                  Document.status == DocumentStatus.ready,
                                  Document.id.not_in(tagged)).order_by(Document.id)))


def document_features(*, session: Session, workspace_id: str, embedder: str | None,
                      document_ids: list[str], batch: int = 500
                      ) -> tuple[list[str], np.ndarray]:
    """Each document's text (its chunks, up to MAX_TEXT_CHARS) and the mean of its chunks'
    stored vectors for `embedder` (zeros for a document without any)."""
    texts: dict[str, list[str]] = defaultdict(list)
    lengths: dict[str, int] = defaultdict(int)
    sums: dict[str, np.ndarray] = {}
    counts: dict[str, int] = defaultdict(int)
    for start in range(0, len(document_ids), batch):
        ids = document_ids[start:start + batch]
        vector: Any = Embedding.vector if embedder else None
        columns = [Chunk.document_id, Chunk.text] + ([vector] if embedder else [])
        stmt = select(*columns).where(Chunk.workspace_id == workspace_id,
                                      Chunk.document_id.in_(ids))
        if embedder:
            stmt = stmt.outerjoin(Embedding, and_(
                Embedding.workspace_id == Chunk.workspace_id, Embedding.model == embedder,
                Embedding.content_hash == Chunk.content_hash))
        for row in session.execute(stmt.order_by(Chunk.document_id, Chunk.id)):
            document_id, text = row[0], row[1]
            if lengths[document_id] < MAX_TEXT_CHARS:
                texts[document_id].append(text)
                lengths[document_id] += len(text)
            if embedder and row[2] is not None:
                found = np.frombuffer(row[2], dtype=np.float32)
                if document_id in sums:
                    sums[document_id] += found
                else:
                    sums[document_id] = found.astype(np.float32, copy=True)
                counts[document_id] += 1
    dims = next((len(v) for v in sums.values()), 0)
    vectors = np.zeros((len(document_ids), dims), dtype=np.float32)
    for index, document_id in enumerate(document_ids):
        if document_id in sums and len(sums[document_id]) == dims:
            vectors[index] = sums[document_id] / counts[document_id]
    return ([" ".join(texts.get(d, []))[:MAX_TEXT_CHARS] for d in document_ids], vectors)


def load_examples(*, session: Session, workspace_id: str, embedder: str | None,
                  horizon_days: int) -> Examples:
    labels = tagged_in_horizon(session=session, workspace_id=workspace_id,
                               horizon_days=horizon_days)
    ids = sorted(labels)
    texts, vectors = document_features(session=session, workspace_id=workspace_id,
                                       embedder=embedder, document_ids=ids)
    return Examples(document_ids=ids, texts=texts, vectors=vectors,
                    labels=[labels[d] for d in ids])


def rejected_pairs(*, session: Session, workspace_id: str) -> set[tuple[str, str]]:
    """(document, tag) pairs people turned down: the feedback no later run overrides."""
    return {(d, t) for d, t in session.execute(
        select(TagSuggestion.document_id, TagSuggestion.tag).where(
            TagSuggestion.workspace_id == workspace_id,
            TagSuggestion.status == SuggestionStatus.rejected))}


@dataclass(frozen=True, slots=True)
class NewSuggestion:
    document_id: str
    tag: str
    confidence: float


def replace_pending_suggestions(*, session: Session, workspace_id: str, run_id: str,
                                suggestions: list[NewSuggestion]) -> int:
    """The newest model's suggestions replace the pending ones of earlier runs; decided
    ones stay as the record of feedback."""
    session.execute(delete(TagSuggestion).where(
        TagSuggestion.workspace_id == workspace_id,
        TagSuggestion.status == SuggestionStatus.pending))
    if suggestions:
        now = utcnow()
        rows = [{"id": new_id(), "workspace_id": workspace_id, "document_id": s.document_id,
                 "run_id": run_id, "tag": s.tag, "confidence": round(s.confidence, 4),
                 "status": SuggestionStatus.pending, "created_at": now} for s in suggestions]
        for start in range(0, len(rows), 1000):
            session.execute(insert(TagSuggestion), rows[start:start + 1000])
    session.flush()
    return len(suggestions)


def record_run(*, session: Session, run: LearningRun) -> LearningRun:
    session.add(run)
    session.flush()
    return run


def list_runs(*, session: Session, workspace_id: str, limit: int) -> list[LearningRun]:
    return list(session.scalars(scoped(LearningRun, workspace_id)
                                .order_by(LearningRun.started_at.desc()).limit(limit)))


def latest_model_run(*, session: Session, workspace_id: str) -> LearningRun | None:
    """The newest run that stored a model: its version and checksum are what loaders trust."""
    return session.scalars(scoped(LearningRun, workspace_id).where(
        LearningRun.model_version.is_not(None))
        .order_by(LearningRun.started_at.desc()).limit(1)).first()


def latest_runs(*, session: Session) -> list[LearningRun]:
    """Each workspace's newest finished run (what /metrics reports)."""
    newest = (select(LearningRun.workspace_id, func.max(LearningRun.started_at).label("at"))
              .group_by(LearningRun.workspace_id).subquery())
    return list(session.scalars(select(LearningRun).join(newest, and_(
        LearningRun.workspace_id == newest.c.workspace_id,
        LearningRun.started_at == newest.c.at))))


def list_suggestions(*, session: Session, workspace_id: str, document_id: str
                     ) -> list[TagSuggestion]:
    documents_service.get_document(session=session, workspace_id=workspace_id,
                                   document_id=document_id)  # 404 for another workspace's
    return list(session.scalars(scoped(TagSuggestion, workspace_id).where(
        TagSuggestion.document_id == document_id,
        TagSuggestion.status == SuggestionStatus.pending)
        .order_by(TagSuggestion.confidence.desc(), TagSuggestion.tag)))


def _pending(session: Session, principal: Principal, document_id: str,
             suggestion_id: str) -> TagSuggestion:
    suggestion = session.scalars(scoped(TagSuggestion, principal.workspace_id).where(
        TagSuggestion.id == suggestion_id, TagSuggestion.document_id == document_id)).first()
    if suggestion is None:
        raise NotFound("suggestion not found")
    if suggestion.status != SuggestionStatus.pending:
        raise Conflict(f"the suggestion was already {suggestion.status}")
    return suggestion


def accept_suggestion(*, session: Session, principal: Principal, document_id: str,
                      suggestion_id: str) -> TagSuggestion:
    """Put the suggested tag on the document (beside its others), audited."""
    suggestion = _pending(session, principal, document_id, suggestion_id)
    current = tags_service.document_tags(session=session, workspace_id=principal.workspace_id,
                                         document_ids=[document_id]).get(document_id, [])
    tags_service.set_document_tags(session=session, workspace_id=principal.workspace_id,
                                   document_id=document_id, names=[*current, suggestion.tag])
    _decide(session, principal, suggestion, SuggestionStatus.accepted)
    return suggestion


def reject_suggestion(*, session: Session, principal: Principal, document_id: str,
                      suggestion_id: str) -> TagSuggestion:
    """Recorded: the next runs never suggest this tag for this document again."""
    suggestion = _pending(session, principal, document_id, suggestion_id)
    _decide(session, principal, suggestion, SuggestionStatus.rejected)
    return suggestion


def _decide(session: Session, principal: Principal, suggestion: TagSuggestion,
            status: str) -> None:
    suggestion.status = status
    suggestion.decided_by = principal.label[:200]
    suggestion.decided_at = utcnow()
    session.flush()
    audit.record_by(session=session, principal=principal,
                    action=f"tag_suggestion.{'accept' if status == 'accepted' else 'reject'}",
                    target_type="document", target_id=suggestion.document_id,
                    details={"tag": suggestion.tag, "confidence": suggestion.confidence})
