"""Saved questions: a collection keeps questions with the answer they had when saved, which
its report quotes with each citation (document, page, verbatim passage).

Answering reads (retrieval, maybe a generator for seconds); only storing the answer
writes. So the answer is made with the caller's read session and the row is written in
its own short transaction afterwards, as the question log is: on SQLite the writer's lock
is never held while a question is being answered.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.ask import service as ask_service
from casework.audit import service as audit
from casework.collections import service as collections_service
from casework.core.database import transaction
from casework.core.errors import Conflict, NotFound
from casework.core.scoping import get_scoped, scoped
from casework.reports.models import SavedQuestion
from casework.runtime import Runtime

MAX_PER_COLLECTION = 100


def _count(session: Session, workspace_id: str, collection_id: str) -> int:
    return session.scalar(select(func.count()).select_from(SavedQuestion).where(
        SavedQuestion.workspace_id == workspace_id,
        SavedQuestion.collection_id == collection_id)) or 0


def _check_room(session: Session, workspace_id: str, collection_id: str) -> None:
    if _count(session, workspace_id, collection_id) >= MAX_PER_COLLECTION:
        raise Conflict(f"a collection keeps at most {MAX_PER_COLLECTION} saved questions: "
                       "delete one first")


def save_question(*, session: Session, runtime: Runtime, principal: Principal,
                  collection_id: str, text: str,
                  mode: ask_service.AnswerMode = ask_service.AnswerMode.auto) -> SavedQuestion:
    """Answer `text` from the collection's material now and keep question and answer.

    `session` is a read session (retrieval); the row is committed here, audited
    (`question.save`), before this returns.
    """
    workspace_id = principal.workspace_id
    collections_service.get_collection(session=session, workspace_id=workspace_id,
                                       collection_id=collection_id)
    _check_room(session, workspace_id, collection_id)
    prepared = ask_service.prepare(
        session=session, runtime=runtime, workspace_id=workspace_id,
        question=ask_service.Question(text=text, collection_id=collection_id, mode=mode))
    answer = ask_service.answer_question(runtime=runtime, prepared=prepared)
    ask_service.record_question(runtime=runtime, workspace_id=workspace_id, answer=answer)
    with transaction(runtime.sessions) as write:
        # Checked again under the writer: the collection may have gone meanwhile.
        collections_service.get_collection(session=write, workspace_id=workspace_id,
                                           collection_id=collection_id)
        _check_room(write, workspace_id, collection_id)
        saved = SavedQuestion(
            workspace_id=workspace_id, collection_id=collection_id,
            question=answer.question, answer=answer.answer, found=answer.found,
            mode=answer.mode.value, confidence=answer.confidence,
            citations=[{"document_id": q.document_id, "note_id": q.note_id, "title": q.title,
                        "page": q.page, "start": q.start, "end": q.end, "text": q.text}
                       for q in answer.citations],
            created_by=principal.user_id, created_by_label=principal.label)
        write.add(saved)
        write.flush()
        audit.record_by(session=write, principal=principal, action="question.save",
                        target_type="collection", target_id=collection_id,
                        details={"saved_question_id": saved.id, "found": answer.found})
    return saved


def list_saved_questions(*, session: Session, workspace_id: str,
                         collection_id: str) -> list[SavedQuestion]:
    """Oldest first, as the report lists them (at most MAX_PER_COLLECTION exist)."""
    collections_service.get_collection(session=session, workspace_id=workspace_id,
                                       collection_id=collection_id)
    return list(session.scalars(scoped(SavedQuestion, workspace_id).where(
        SavedQuestion.collection_id == collection_id,
    ).order_by(SavedQuestion.created_at, SavedQuestion.id).limit(MAX_PER_COLLECTION)))


def delete_saved_question(*, session: Session, principal: Principal, collection_id: str,
                          question_id: str) -> None:
    workspace_id = principal.workspace_id
    saved = get_scoped(session, SavedQuestion, workspace_id, question_id,
                       noun="saved question")
    if saved.collection_id != collection_id:
        raise NotFound("saved question not found")
    session.delete(saved)
    session.flush()
    audit.record_by(session=session, principal=principal, action="question.delete",
                    target_type="collection", target_id=collection_id,
                    details={"saved_question_id": question_id})
