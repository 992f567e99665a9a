"""Ask: retrieve passages with hybrid search, answer from them, cite page and offsets.

Two ways to answer, one shape: extractive (the default, offline: the best sentences of the
passages, verbatim, ask/extractive.py) or generated (an OpenAI-compatible endpoint writes the
answer from the passages, its citations checked, ask/generator.py). Retrieval happens while
the request's read session is open; generating needs no database, so a stream can outlive
the session. Answers are cached per workspace (ask/cache.py) and every question is logged
as a hash with its latency, mode and citations (`record_question`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.ask.extractive import Passage, Quote, choose_sentences
from casework.ask.generator import (
    Claim,
    GeneratorFailed,
    build_messages,
    check_answer,
    stream_tokens,
)
from casework.ask.models import QuestionLog
from casework.collections import service as collections_service
from casework.core.database import transaction
from casework.core.errors import InvalidInput, NotFound
from casework.core.redaction import redact_paths
from casework.documents.models import Document
from casework.runtime import Runtime
from casework.search import service as search_service
from casework.search.embedder import EmbeddingUnavailable
from casework.search.filters import SearchFilters
from casework.search.models import Chunk
from casework.search.query import normalize_query

log = logging.getLogger(__name__)

NOT_FOUND_ANSWER = "Not found in the material."
MAX_DOCUMENT_IDS = 100


class AnswerMode(StrEnum):
    auto = "auto"  # generated when a generator is configured, else extractive
    extractive = "extractive"
    generated = "generated"


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    collection_id: str | None = None
    document_ids: tuple[str, ...] | None = None
    mode: AnswerMode = AnswerMode.auto


@dataclass(slots=True)
class Answer:
    question: str
    answer: str
    found: bool
    mode: AnswerMode
    confidence: float
    citations: list[Quote]
    claims: list[Claim] = field(default_factory=list)
    took_ms: float = 0.0
    cached: bool = False
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Prepared:
    """A question ready to answer: either its cached answer, or the passages to answer from."""

    question: Question
    workspace_id: str
    mode: AnswerMode
    started: float
    cache_key: str | None
    cached: Answer | None = None
    passages: list[Passage] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def query_hash(text: str, *, key: str) -> str:
    """HMAC-SHA256 of the normalised question under SECRET_KEY: repeats stay countable, but
    a short question cannot be recovered by hashing guesses without the key."""
    return hmac.new(key.encode(), normalize_query(text).encode(), hashlib.sha256).hexdigest()


def _resolve_mode(runtime: Runtime, mode: AnswerMode) -> AnswerMode:
    if mode == AnswerMode.auto:
        return (AnswerMode.generated if runtime.settings.generator_configured
                else AnswerMode.extractive)
    if mode == AnswerMode.generated and not runtime.settings.generator_configured:
        raise InvalidInput("no generator is configured (LLM_BASE_URL and LLM_MODEL): ask "
                           "for an extractive answer, or configure one")
    return mode


def _check_scope(session: Session, workspace_id: str, question: Question) -> None:
    """A collection or document of another workspace is not found, as everywhere else."""
    if question.collection_id is not None:
        collections_service.get_collection(session=session, workspace_id=workspace_id,
                                           collection_id=question.collection_id)
    if question.document_ids is not None:
        if len(question.document_ids) > MAX_DOCUMENT_IDS:
            raise InvalidInput(f"at most {MAX_DOCUMENT_IDS} documents per question")
        found = set(session.scalars(select(Document.id).where(
            Document.workspace_id == workspace_id, Document.id.in_(question.document_ids))))
        missing = [d for d in question.document_ids if d not in found]
        if missing:
            raise NotFound(f"document not found: {missing[0]}")


def _cache_parts(runtime: Runtime, question: Question, mode: AnswerMode) -> dict[str, object]:
    return {"q": normalize_query(question.text), "collection": question.collection_id,
            "documents": sorted(question.document_ids or ()), "mode": mode.value,
            "model": runtime.settings.llm_model if mode == AnswerMode.generated else None,
            "passages": runtime.settings.ask_passages,
            "threshold": runtime.settings.ask_min_confidence}


def _retrieve(session: Session, runtime: Runtime, workspace_id: str,
              question: Question) -> tuple[list[Passage], list[str]]:
    result = search_service.search(
        session=session, runtime=runtime, workspace_id=workspace_id, text=question.text,
        mode=search_service.SearchMode.hybrid,
        filters=SearchFilters(collection_id=question.collection_id,
                              document_ids=question.document_ids),
        limit=runtime.settings.ask_passages, offset=0)
    ids = [hit.chunk_id for hit in result.hits]
    texts = dict(session.execute(select(Chunk.id, Chunk.text).where(
        Chunk.workspace_id == workspace_id, Chunk.id.in_(ids))).all()) if ids else {}
    passages = [Passage(chunk_id=hit.chunk_id, document_id=hit.document_id,
                        note_id=hit.note_id, title=hit.title, page=hit.page,
                        start_char=hit.start_char, text=texts[hit.chunk_id])
                for hit in result.hits if hit.chunk_id in texts]
    return passages, list(result.warnings)


def prepare(*, session: Session, runtime: Runtime, workspace_id: str,
            question: Question) -> Prepared:
    """Validate the question, find a cached answer, else retrieve the passages."""
    started = time.perf_counter()
    text = question.text.strip()
    if not text:
        raise InvalidInput("the question is empty")
    question = Question(text=text, collection_id=question.collection_id,
                        document_ids=question.document_ids, mode=question.mode)
    mode = _resolve_mode(runtime, question.mode)
    _check_scope(session, workspace_id, question)
    cache, key = runtime.answer_cache, None
    if cache is not None:
        key = cache.key(workspace_id=workspace_id, version=cache.version(workspace_id),
                        parts=_cache_parts(runtime, question, mode))
        stored = cache.get(key)
        if stored is not None:
            answer = _answer_from_dict(stored)
            answer.cached = True
            return Prepared(question=question, workspace_id=workspace_id, mode=mode,
                            started=started, cache_key=key, cached=answer)
    passages, warnings = _retrieve(session, runtime, workspace_id, question)
    return Prepared(question=question, workspace_id=workspace_id, mode=mode, started=started,
                    cache_key=key, passages=passages, warnings=warnings)


def extract(*, runtime: Runtime, prepared: Prepared) -> Answer:
    """The extractive answer for a prepared question (its cached answer when it has one)."""
    if prepared.cached is not None:
        return _finish_cached(prepared)
    warnings = list(prepared.warnings)
    embed = runtime.embedder.embed if runtime.semantic_available else None
    try:
        chosen = choose_sentences(question=prepared.question.text, passages=prepared.passages,
                                    embed=embed,
                                    min_confidence=runtime.settings.ask_min_confidence)
    except EmbeddingUnavailable as exc:
        warnings.append(f"semantic scoring is off ({redact_paths(str(exc))}); sentences "
                        "were chosen by their words")
        chosen = choose_sentences(question=prepared.question.text,
                                    passages=prepared.passages, embed=None,
                                    min_confidence=runtime.settings.ask_min_confidence)
    text = (" ".join(" ".join(q.text.split()) for q in chosen.quotes) if chosen.found
            else NOT_FOUND_ANSWER)
    answer = Answer(question=prepared.question.text, answer=text, found=chosen.found,
                    mode=AnswerMode.extractive, confidence=chosen.confidence,
                    citations=chosen.quotes, warnings=warnings)
    return _finish(runtime, prepared, answer)


def generate(*, runtime: Runtime, prepared: Prepared) -> Iterator[str | Answer]:
    """The generated answer's text as it streams, then the checked `Answer` last.

    When the generator fails before its first token, the extractive answer is given instead
    with a warning; a failure after it ends the answer with what was said, all checked.
    """
    if prepared.cached is not None:
        yield _finish_cached(prepared)
        return
    if not prepared.passages:
        yield _finish(runtime, prepared, Answer(
            question=prepared.question.text, answer=NOT_FOUND_ANSWER, found=False,
            mode=AnswerMode.generated, confidence=0.0, citations=[],
            warnings=list(prepared.warnings)))
        return
    parts: list[str] = []
    warnings = list(prepared.warnings)
    try:
        for token in stream_tokens(runtime.settings,
                                   build_messages(prepared.question.text, prepared.passages)):
            parts.append(token)
            yield token
    except GeneratorFailed as exc:
        log.warning("generator failed: %s", exc)
        if not parts:
            prepared.warnings.append(f"{exc}; the extractive answer is shown instead")
            prepared.cache_key = None  # a fallback is not the answer asked for: not cached
            yield extract(runtime=runtime, prepared=prepared)
            return
        warnings.append(f"{exc}; the answer may be cut short")
    checked = check_answer("".join(parts), prepared.passages)
    text = "".join(parts).strip() if checked.found else NOT_FOUND_ANSWER
    answer = Answer(question=prepared.question.text, answer=text, found=checked.found,
                    mode=AnswerMode.generated, confidence=checked.confidence,
                    citations=checked.quotes, claims=checked.claims, warnings=warnings)
    unsupported = sum(1 for claim in checked.claims if not claim.supported)
    if unsupported:
        answer.warnings.append(f"{unsupported} of {len(checked.claims)} statements have no "
                               "citation that the passages support")
    yield _finish(runtime, prepared, answer)


def answer_question(*, runtime: Runtime, prepared: Prepared) -> Answer:
    """The whole answer at once, however it is made."""
    if prepared.mode == AnswerMode.extractive:
        return extract(runtime=runtime, prepared=prepared)
    final = None
    for item in generate(runtime=runtime, prepared=prepared):
        if isinstance(item, Answer):
            final = item
    assert final is not None
    return final


def _took(prepared: Prepared) -> float:
    return round((time.perf_counter() - prepared.started) * 1000, 2)


def _finish(runtime: Runtime, prepared: Prepared, answer: Answer) -> Answer:
    answer.took_ms = _took(prepared)
    if runtime.answer_cache is not None and prepared.cache_key is not None:
        stored = _answer_to_dict(answer)
        stored["warnings"] = []  # said when it was made; a cached answer says it is cached
        runtime.answer_cache.put(prepared.cache_key, stored)
    return answer


def _finish_cached(prepared: Prepared) -> Answer:
    assert prepared.cached is not None
    prepared.cached.took_ms = _took(prepared)
    return prepared.cached


def _answer_to_dict(answer: Answer) -> dict[str, object]:
    return asdict(answer)


def _answer_from_dict(data: dict[str, object]) -> Answer:
    values = dict(data)
    values["mode"] = AnswerMode(str(values["mode"]))
    values["citations"] = [Quote(**q) for q in values["citations"]]  # type: ignore[arg-type, union-attr]
    values["claims"] = [Claim(**c) for c in values["claims"]]  # type: ignore[arg-type, union-attr]
    return Answer(**values)  # type: ignore[arg-type]


def record_question(*, runtime: Runtime, workspace_id: str, answer: Answer) -> None:
    """One row of the question log, in its own short transaction after the answer: the
    asker never waits for the database's writer, and a hash stands for the question."""
    with transaction(runtime.sessions) as session:
        session.add(QuestionLog(
            workspace_id=workspace_id,
            query_hash=query_hash(answer.question,
                                  key=runtime.settings.secret_key.get_secret_value()),
            mode=answer.mode.value, found=answer.found, confidence=answer.confidence,
            latency_ms=answer.took_ms, cached=answer.cached,
            citations=[{"document_id": q.document_id, "note_id": q.note_id, "page": q.page,
                        "start": q.start, "end": q.end} for q in answer.citations]))
