"""Collections: create, list, read, edit, delete - always inside one workspace."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.collections.models import Collection, CollectionKind
from casework.core.database import after_commit
from casework.core.errors import Conflict
from casework.core.scoping import get_scoped, scoped
from casework.documents import service as documents_service
from casework.documents.models import Document
from casework.exports import service as exports_service
from casework.runtime import Runtime
from casework.storage.blobstore import report_prefix


def create_collection(*, session: Session, principal: Principal, name: str,
                      kind: CollectionKind, reference: str | None = None,
                      description: str = "") -> Collection:
    """A new collection of the principal's workspace, audited (`collection.create`)."""
    collection = Collection(workspace_id=principal.workspace_id, name=name.strip(), kind=kind,
                            reference=reference, description=description)
    try:
        with session.begin_nested():
            session.add(collection)
    except IntegrityError:
        raise Conflict(f"a collection named {name!r} already exists") from None
    audit.record_by(session=session, principal=principal, action="collection.create",
                    target_type="collection", target_id=collection.id,
                    details={"name": collection.name, "kind": str(collection.kind)})
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


def update_collection(*, session: Session, principal: Principal, collection_id: str,
                      changes: dict[str, object]) -> Collection:
    """Edit a collection; each changed field is audited with its old and new value
    (`collection.update`; a rename is how a case's name changes, so it must be traceable)."""
    collection = get_collection(session=session, workspace_id=principal.workspace_id,
                                collection_id=collection_id)
    changed: dict[str, dict[str, Any]] = {}
    for field_name, value in changes.items():
        new = value.strip() if isinstance(value, str) and field_name == "name" else value
        old = getattr(collection, field_name)
        if old != new:
            changed[field_name] = {"old": _plain(old), "new": _plain(new)}
        setattr(collection, field_name, new)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(f"a collection named {changes.get('name')!r} already exists") from None
    if changed:
        audit.record_by(session=session, principal=principal, action="collection.update",
                        target_type="collection", target_id=collection.id, details=changed)
    return collection


def _plain(value: object) -> object:
    """A field's value as the audit log's JSON keeps it (enums by their value; long
    descriptions cut: the log records that they changed, not a second copy)."""
    if isinstance(value, str):
        return str(value)[:500]
    return value


def delete_collection(*, session: Session, runtime: Runtime, principal: Principal,
                      collection_id: str) -> None:
    """Delete a collection with its documents (blobs and index entries follow) and its
    exports (each a copy of its documents). Its reports and saved questions go by cascade;
    the reports' files once that is committed. Refused while a legal hold covers the
    collection or any of its documents. Audited (`collection.delete`, with how many
    documents went), in the same transaction."""
    workspace_id = principal.workspace_id
    collection = get_collection(session=session, workspace_id=workspace_id,
                                collection_id=collection_id)
    documents = session.scalar(select(func.count()).select_from(Document).where(
        Document.workspace_id == workspace_id, Document.collection_id == collection_id))
    # Documents first: a legal hold refuses the whole deletion before anything else goes.
    documents_service.delete_collection_documents(
        session=session, runtime=runtime, workspace_id=workspace_id, collection_id=collection_id)
    audit.record_by(session=session, principal=principal, action="collection.delete",
                    target_type="collection", target_id=collection_id,
                    details={"name": collection.name, "documents": documents or 0})
    exports_service.delete_collection_exports(session=session, runtime=runtime,
                                              workspace_id=workspace_id,
                                              collection_id=collection_id)
    session.delete(collection)
    session.flush()
    after_commit(session, lambda: runtime.blobs.delete_prefix(
        report_prefix(workspace_id, collection_id)))
