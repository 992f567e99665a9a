"""Collections: create, list, read, edit, delete - always inside one workspace."""

from __future__ import annotations

from sqlalchemy import func, select
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


def list_collections(*, session: Session, workspace_id: str, kind: CollectionKind | None,
                     limit: int, offset: int) -> tuple[list[Collection], int]:
    query = scoped(Collection, workspace_id)
    if kind is not None:
        query = query.where(Collection.kind == kind)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Collection.created_at.desc(), Collection.id).limit(limit).offset(offset)
    )
    return list(rows), total


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
