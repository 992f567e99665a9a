"""Collections: create, list, read, edit, delete - always inside one workspace."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casework.collections.models import Collection, CollectionKind
from casework.core.errors import Conflict
from casework.core.scoping import get_scoped, scoped
from casework.documents import service as documents_service
from casework.runtime import Runtime


def create_collection(*, session: Session, workspace_id: str, name: str, kind: CollectionKind,
                      reference: str | None = None, description: str = "") -> Collection:
    collection = Collection(workspace_id=workspace_id, name=name.strip(), kind=kind,
                            reference=reference, description=description)
    try:
        with session.begin_nested():
            session.add(collection)
    except IntegrityError:
        raise Conflict(f"a collection named {name!r} already exists") from None
    return collection


def get_collection(*, session: Session, workspace_id: str, collection_id: str) -> Collection:
    return get_scoped(session, Collection, workspace_id, collection_id, noun="collection")


def find_collection_by_name(*, session: Session, workspace_id: str, name: str) -> Collection | None:
    return session.scalars(
        scoped(Collection, workspace_id).where(Collection.name == name.strip())
    ).first()


# A name is at most 200 characters: a longer word matches nothing. Eight words are plenty
# for a name or a case number, and bound the statement a query can build.
MAX_MATCH_WORDS = 8
MAX_WORD_CHARS = 200


def name_or_reference_matches(words: list[str], *, dialect: str) -> ColumnElement[bool] | None:
    """Every word appears in the name or the reference, ignoring case; None if `words`
    cannot match anything (too many, or one longer than a name).

    `%` and `_` are matched literally (autoescape), so "100%" finds "100% audit" and never
    every collection. Case: PostgreSQL's ILIKE folds every letter; SQLite's own LIKE folds
    ASCII letters only ("müller" does not find "MÜLLER"), as its `lower()` would, and
    without calling `lower()` on both sides of every row it costs half as much
    (docs/benchmarks.md#collection-hits).
    """
    if not words or len(words) > MAX_MATCH_WORDS or any(len(w) > MAX_WORD_CHARS for w in words):
        return None

    def holds(column: Any, word: str) -> ColumnElement[bool]:
        if dialect == "sqlite":
            return column.contains(word, autoescape=True)
        return column.icontains(word, autoescape=True)

    return and_(*(or_(holds(Collection.name, word), holds(Collection.reference, word))
                  for word in words))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def list_collections(*, session: Session, workspace_id: str, kind: CollectionKind | None,
                     limit: int, offset: int, q: str | None = None
                     ) -> tuple[list[Collection], int]:
    """Newest first; `q` keeps those whose name or reference holds each of its words."""
    query = scoped(Collection, workspace_id)
    if kind is not None:
        query = query.where(Collection.kind == kind)
    if q is not None and q.strip():
        condition = name_or_reference_matches(q.split(), dialect=_dialect(session))
        if condition is None:
            return [], 0
        query = query.where(condition)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Collection.created_at.desc(), Collection.id).limit(limit).offset(offset)
    )
    return list(rows), total


def find_collections(*, session: Session, workspace_id: str, words: list[str],
                     limit: int) -> list[Collection]:
    """The few collections a search names (by name or reference number), best first: an
    exact reference, then a name starting with the first word, then by name.

    Runs with every search, so it is one statement over the workspace's collections
    (found through `ix_collection_workspace_id`), with a LIMIT.
    """
    condition = name_or_reference_matches(words, dialect=_dialect(session))
    if condition is None:
        return []
    first = words[0].lower()
    phrase = " ".join(words).lower()
    rank = case((func.lower(Collection.reference) == phrase, 0),
                (func.lower(Collection.name) == phrase, 1),
                (func.lower(Collection.name).startswith(first, autoescape=True), 2),
                else_=3)
    return list(session.scalars(scoped(Collection, workspace_id).where(condition)
                                .order_by(rank, Collection.name, Collection.id).limit(limit)))


def update_collection(*, session: Session, workspace_id: str, collection_id: str,
                      changes: dict[str, object]) -> Collection:
    collection = get_collection(session=session, workspace_id=workspace_id,
                                collection_id=collection_id)
    for field_name, value in changes.items():
        setattr(collection, field_name, value.strip() if isinstance(value, str) and
                field_name == "name" else value)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(f"a collection named {changes.get('name')!r} already exists") from None
    return collection


def delete_collection(*, session: Session, runtime: Runtime, workspace_id: str,
                      collection_id: str) -> None:
    """Delete a collection with its documents (blobs and index entries follow)."""
    collection = get_collection(session=session, workspace_id=workspace_id,
                                collection_id=collection_id)
    documents_service.delete_collection_documents(
        session=session, runtime=runtime, workspace_id=workspace_id, collection_id=collection_id)
    session.delete(collection)
    session.flush()
