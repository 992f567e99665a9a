"""Tags: normalised names, attached to documents and notes of the same workspace."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from casework.core.errors import InvalidInput
from casework.core.scoping import scoped
from casework.tags.models import DocumentTag, NoteTag, Tag

MAX_TAGS_PER_ITEM = 50
_TAG = re.compile(r"^[\w][\w .:/+-]{0,63}$", re.UNICODE)


def normalize_tag(name: str) -> str:
    tag = " ".join(name.strip().lower().split())
    if not _TAG.match(tag):
        raise InvalidInput(
            f"invalid tag {name!r}: 1-64 letters, digits, spaces or . : / + - _"
        )
    return tag


def normalize_tags(names: Iterable[str]) -> list[str]:
    tags = list(dict.fromkeys(normalize_tag(n) for n in names))
    if len(tags) > MAX_TAGS_PER_ITEM:
        raise InvalidInput(f"at most {MAX_TAGS_PER_ITEM} tags per item")
    return tags


def _ensure_tags(session: Session, workspace_id: str, names: list[str]) -> list[Tag]:
    existing = {t.name: t for t in session.scalars(
        scoped(Tag, workspace_id).where(Tag.name.in_(names)))}
    for name in names:
        if name not in existing:
            tag = Tag(workspace_id=workspace_id, name=name)
            session.add(tag)
            existing[name] = tag
    session.flush()
    return [existing[n] for n in names]


def set_document_tags(*, session: Session, workspace_id: str, document_id: str,
                      names: Iterable[str]) -> list[str]:
    tags = _ensure_tags(session, workspace_id, normalize_tags(names))
    wanted = {t.id for t in tags}
    # Links that stay keep their `tagged_at` (the daily run's horizon reads it).
    kept = set(session.scalars(select(DocumentTag.tag_id).where(
        DocumentTag.workspace_id == workspace_id, DocumentTag.document_id == document_id)))
    session.execute(delete(DocumentTag).where(DocumentTag.workspace_id == workspace_id,
                                              DocumentTag.document_id == document_id,
                                              DocumentTag.tag_id.not_in(wanted)))
    session.add_all(DocumentTag(workspace_id=workspace_id, document_id=document_id,
                                tag_id=t.id) for t in tags if t.id not in kept)
    session.flush()
    return [t.name for t in tags]


def set_note_tags(*, session: Session, workspace_id: str, note_id: str,
                  names: Iterable[str]) -> list[str]:
    tags = _ensure_tags(session, workspace_id, normalize_tags(names))
    session.execute(delete(NoteTag).where(NoteTag.workspace_id == workspace_id,
                                          NoteTag.note_id == note_id))
    session.add_all(NoteTag(workspace_id=workspace_id, note_id=note_id, tag_id=t.id)
                    for t in tags)
    session.flush()
    return [t.name for t in tags]


def document_tags(*, session: Session, workspace_id: str,
                  document_ids: list[str]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = defaultdict(list)
    if not document_ids:
        return result
    rows = session.execute(
        select(DocumentTag.document_id, Tag.name)
        .join(Tag, Tag.id == DocumentTag.tag_id)
        .where(DocumentTag.workspace_id == workspace_id,
               DocumentTag.document_id.in_(document_ids))
        .order_by(Tag.name)
    )
    for document_id, name in rows:
        result[document_id].append(name)
    return result


def note_tags(*, session: Session, workspace_id: str, note_ids: list[str]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = defaultdict(list)
    if not note_ids:
        return result
    rows = session.execute(
        select(NoteTag.note_id, Tag.name)
        .join(Tag, Tag.id == NoteTag.tag_id)
        .where(NoteTag.workspace_id == workspace_id, NoteTag.note_id.in_(note_ids))
        .order_by(Tag.name)
    )
    for note_id, name in rows:
        result[note_id].append(name)
    return result


def list_tags(*, session: Session, workspace_id: str) -> list[str]:
    return list(session.scalars(select(Tag.name).where(Tag.workspace_id == workspace_id)
                                .order_by(Tag.name)))
