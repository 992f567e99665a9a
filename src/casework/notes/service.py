"""Notes: markdown written in casework, keyword-indexed in the same transaction.

Creating, editing and deleting a note are audited (`note.create`, `note.update`,
`note.delete`) in the transaction that makes the change, from the API and the web editor
alike: notes hold a case's working record, and who changed it matters as much as who
deleted a document."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.collections import service as collections_service
from casework.core.scoping import get_scoped, scoped
from casework.jobs import service as jobs_service
from casework.jobs.models import JobPriority
from casework.notes.models import Note
from casework.runtime import Runtime
from casework.search import indexing
from casework.search.chunking import CHUNKER_VERSION, chunker_for
from casework.search.job_kinds import EMBED_NOTE
from casework.tags import service as tags_service
from casework.tags.models import NoteTag, Tag


def _reindex(session: Session, runtime: Runtime, note: Note) -> None:
    indexing.remove_chunks(session=session, runtime=runtime, workspace_id=note.workspace_id,
                           note_id=note.id)
    text = f"{note.title}\n\n{note.body}".strip()
    count = indexing.write_chunks(
        session=session, workspace_id=note.workspace_id, note_id=note.id,
        passages=chunker_for(runtime.settings).chunk_page(text, page=1))
    # Core update: re-chunking is not an edit, so `updated_at` keeps its value.
    session.execute(update(Note).where(Note.id == note.id).values(
        chunker_version=CHUNKER_VERSION, updated_at=Note.updated_at))
    if count and runtime.semantic_available:
        jobs_service.enqueue(session=session, kind=EMBED_NOTE, payload={"note_id": note.id},
                             workspace_id=note.workspace_id, priority=JobPriority.bulk,
                             max_attempts=runtime.settings.job_max_attempts,
                             notify=runtime.notify_jobs)


def rechunk_note(*, session: Session, runtime: Runtime, workspace_id: str,
                 note_id: str) -> bool:
    """Re-cut a note an older chunker cut (ingest/rechunk.py); False if there was none."""
    note = session.scalars(scoped(Note, workspace_id).where(
        Note.id == note_id, Note.chunker_version < CHUNKER_VERSION).with_for_update()).first()
    if note is None:
        return False
    _reindex(session, runtime, note)
    return True


def get_note(*, session: Session, workspace_id: str, note_id: str) -> Note:
    return get_scoped(session, Note, workspace_id, note_id, noun="note")


def create_note(*, session: Session, runtime: Runtime, principal: Principal, title: str,
                body: str, collection_id: str | None, tags: list[str]
                ) -> tuple[Note, list[str]]:
    workspace_id = principal.workspace_id
    if collection_id is not None:
        collections_service.get_collection(session=session, workspace_id=workspace_id,
                                           collection_id=collection_id)
    note = Note(workspace_id=workspace_id, title=title.strip(), body=body,
                collection_id=collection_id)
    session.add(note)
    session.flush()
    names = tags_service.set_note_tags(session=session, workspace_id=workspace_id,
                                       note_id=note.id, names=tags)
    _reindex(session, runtime, note)
    audit.record_by(session=session, principal=principal, action="note.create",
                    target_type="note", target_id=note.id,
                    details={"collection_id": collection_id})
    return note, names


def update_note(*, session: Session, runtime: Runtime, principal: Principal, note_id: str,
                changes: dict[str, object]) -> tuple[Note, list[str]]:
    """Apply `changes`; the audit event names the fields whose value changed (never their
    text: the log is read by admins who need not read the note)."""
    workspace_id = principal.workspace_id
    note = get_note(session=session, workspace_id=workspace_id, note_id=note_id)
    tags = changes.pop("tags", None)
    if changes.get("collection_id") is not None:
        collections_service.get_collection(session=session, workspace_id=workspace_id,
                                           collection_id=str(changes["collection_id"]))
    changed = [name for name, value in changes.items() if getattr(note, name) != value]
    for field_name, value in changes.items():
        setattr(note, field_name, value)
    session.flush()
    before: list[str] | None = None
    if tags is not None:
        before = tags_service.note_tags(session=session, workspace_id=workspace_id,
                                        note_ids=[note.id])[note.id]
        tags_service.set_note_tags(session=session, workspace_id=workspace_id, note_id=note.id,
                                   names=tags)  # type: ignore[arg-type]
    if "title" in changes or "body" in changes:
        _reindex(session, runtime, note)
    names = tags_service.note_tags(session=session, workspace_id=workspace_id,
                                   note_ids=[note.id])[note.id]
    if before is not None and sorted(names) != sorted(before):
        changed.append("tags")
    audit.record_by(session=session, principal=principal, action="note.update",
                    target_type="note", target_id=note.id, details={"fields": changed})
    return note, names


def delete_note(*, session: Session, runtime: Runtime, principal: Principal,
                note_id: str) -> None:
    note = get_note(session=session, workspace_id=principal.workspace_id, note_id=note_id)
    _delete(session=session, runtime=runtime, note=note)
    audit.record_by(session=session, principal=principal, action="note.delete",
                    target_type="note", target_id=note_id)


def delete_workspace_notes(*, session: Session, runtime: Runtime, workspace_id: str) -> int:
    """Every note of a workspace being deleted (`workspace.delete` is its audit event)."""
    notes = list(session.scalars(scoped(Note, workspace_id)))
    for note in notes:
        _delete(session=session, runtime=runtime, note=note)
    return len(notes)


def _delete(*, session: Session, runtime: Runtime, note: Note) -> None:
    indexing.remove_chunks(session=session, runtime=runtime, workspace_id=note.workspace_id,
                           note_id=note.id)
    session.delete(note)
    session.flush()


def list_notes(*, session: Session, workspace_id: str, collection_id: str | None,
               tag: str | None, limit: int, offset: int) -> tuple[list[Note], int]:
    query = scoped(Note, workspace_id)
    if collection_id is not None:
        query = query.where(Note.collection_id == collection_id)
    if tag is not None:
        query = query.where(Note.id.in_(
            select(NoteTag.note_id).join(Tag, Tag.id == NoteTag.tag_id)
            .where(Tag.workspace_id == workspace_id, Tag.name == tag.lower())))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Note.updated_at.desc(), Note.id).limit(limit)
                           .offset(offset))
    return list(rows), total
