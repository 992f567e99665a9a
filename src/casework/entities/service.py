"""Entities: writing a document's mentions (the extraction job), listing, reading, merging,
and the facets and filter that search uses. Every query is scoped to one workspace."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.core.errors import InvalidInput, NotFound
from casework.core.scoping import scoped
from casework.documents.models import Document
from casework.entities.keys import name_key
from casework.entities.models import Entity, EntityKind, EntityMention
from casework.entities.patterns import Found

MAX_MERGE_CHAIN = 20
MENTION_TEXT_CHARS = 300


@dataclass(frozen=True, slots=True)
class EntityCount:
    entity: Entity
    mentions: int
    documents: int


@dataclass(frozen=True, slots=True)
class MentionRow:
    mention: EntityMention
    title: str
    collection_id: str


# --- writing (the extraction job) ------------------------------------------------------

def _survivor(session: Session, workspace_id: str, entity: Entity) -> Entity:
    """Follow manual merges to the entity that now stands for this one."""
    for _ in range(MAX_MERGE_CHAIN):
        if entity.merged_into_id is None:
            return entity
        target = session.scalars(scoped(Entity, workspace_id).where(
            Entity.id == entity.merged_into_id)).first()
        if target is None:
            return entity
        entity = target
    return entity


def _entity_for(session: Session, workspace_id: str, found: Found) -> str:
    """The id of the entity this find belongs to, created on first sight.

    Created inside a savepoint: two jobs of one workspace may meet the same new name at
    once on PostgreSQL, and the loser then reads the winner's row.
    """
    query = scoped(Entity, workspace_id).where(Entity.kind == found.kind,
                                               Entity.key == found.key)
    entity = session.scalars(query).first()
    if entity is None:
        try:
            with session.begin_nested():
                entity = Entity(workspace_id=workspace_id, kind=found.kind, key=found.key,
                                name=found.name)
                session.add(entity)
        except IntegrityError:
            entity = session.scalars(query).one()
    return _survivor(session, workspace_id, entity).id


def remove_document_mentions(*, session: Session, workspace_id: str, document_id: str,
                             pages: tuple[int, int] | None = None) -> None:
    """The document's mentions, or those on pages `first..last` (one job's span)."""
    statement = delete(EntityMention).where(EntityMention.workspace_id == workspace_id,
                                            EntityMention.document_id == document_id)
    if pages is not None:
        statement = statement.where(EntityMention.page.between(*pages))
    session.execute(statement)


def write_mentions(*, session: Session, workspace_id: str, document_id: str,
                   pages: Sequence[tuple[int, str, list[Found]]]) -> int:
    """Add the mentions found on these pages (number, text, finds); returns how many."""
    ids: dict[tuple[str, str], str] = {}
    count = 0
    for number, text, finds in pages:
        for found in finds:
            entity_id = ids.get((found.kind, found.key))
            if entity_id is None:
                entity_id = ids[(found.kind, found.key)] = _entity_for(session, workspace_id,
                                                                        found)
            session.add(EntityMention(
                workspace_id=workspace_id, entity_id=entity_id, document_id=document_id,
                page=number, start_char=found.start, end_char=found.end,
                text=text[found.start:found.end][:MENTION_TEXT_CHARS]))
            count += 1
    session.flush()
    return count


# --- reading ---------------------------------------------------------------------------

def _counted(workspace_id: str) -> Select:
    mentions = func.count(EntityMention.id)
    documents = func.count(func.distinct(EntityMention.document_id))
    return (select(Entity, mentions.label("mentions"), documents.label("documents"))
            .join(EntityMention, EntityMention.entity_id == Entity.id)
            .where(Entity.workspace_id == workspace_id,
                   EntityMention.workspace_id == workspace_id)
            .group_by(Entity.id))


def list_entities(*, session: Session, workspace_id: str, kind: EntityKind | None,
                  q: str | None, collection_id: str | None, limit: int, offset: int
                  ) -> tuple[list[EntityCount], int]:
    """Entities with at least one mention (in the collection, if given), most mentioned
    first; `q` matches the normalised name, so "o'brien" finds "O\u2019Brien"."""
    query = _counted(workspace_id)
    if kind is not None:
        query = query.where(Entity.kind == kind)
    if q:
        key = name_key(q) or q.strip().lower()
        query = query.where(Entity.key.contains(key, autoescape=True))
    if collection_id is not None:
        query = query.join(Document, Document.id == EntityMention.document_id).where(
            Document.workspace_id == workspace_id, Document.collection_id == collection_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(func.count(EntityMention.id).desc(), Entity.name,
                                          Entity.id).limit(limit).offset(offset)).all()
    return [EntityCount(entity, mentions, documents) for entity, mentions, documents
            in rows], total


def get_entity(*, session: Session, workspace_id: str, entity_id: str) -> Entity:
    """The entity, or the one it was merged into (its old links keep working)."""
    entity = session.scalars(scoped(Entity, workspace_id).where(Entity.id == entity_id)).first()
    if entity is None:
        raise NotFound("entity not found")
    return _survivor(session, workspace_id, entity)


def entities_by_id(*, session: Session, workspace_id: str, entity_ids: Sequence[str]
                   ) -> dict[str, Entity]:
    """These entities of the workspace by id (to name the ids a timeline event carries);
    ids of other workspaces are left out."""
    if not entity_ids:
        return {}
    rows = session.scalars(scoped(Entity, workspace_id).where(Entity.id.in_(set(entity_ids))))
    return {entity.id: entity for entity in rows}


def count_entity(*, session: Session, workspace_id: str, entity: Entity) -> EntityCount:
    row = session.execute(_counted(workspace_id).where(Entity.id == entity.id)).first()
    return EntityCount(entity, row[1], row[2]) if row else EntityCount(entity, 0, 0)


def list_mentions(*, session: Session, workspace_id: str, entity_id: str, limit: int,
                  offset: int) -> tuple[list[MentionRow], int]:
    """Where the entity is mentioned, in document and page order, with each citation."""
    query = (select(EntityMention, Document.title, Document.filename, Document.collection_id)
             .join(Document, Document.id == EntityMention.document_id)
             .where(EntityMention.workspace_id == workspace_id,
                    EntityMention.entity_id == entity_id,
                    Document.workspace_id == workspace_id))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Document.created_at, Document.id, EntityMention.page,
                                          EntityMention.start_char)
                           .limit(limit).offset(offset)).all()
    return [MentionRow(mention, title or filename, collection_id)
            for mention, title, filename, collection_id in rows], total


def entity_facets(*, session: Session, workspace_id: str, document_ids: Sequence[str],
                  limit: int = 10) -> list[EntityCount]:
    """The entities most of these documents mention (search hits' documents)."""
    if not document_ids:
        return []
    query = _counted(workspace_id).where(EntityMention.document_id.in_(set(document_ids)))
    rows = session.execute(query.order_by(
        func.count(func.distinct(EntityMention.document_id)).desc(),
        func.count(EntityMention.id).desc(), Entity.name).limit(limit)).all()
    return [EntityCount(entity, mentions, documents) for entity, mentions, documents in rows]


# --- merging ---------------------------------------------------------------------------

def merge_entities(*, session: Session, principal: Principal, entity_id: str,
                   into_id: str) -> Entity:
    """Move every mention of one entity to another of the same kind (spelling variants
    the keys did not catch). The merged entity stays as a pointer, so a later extraction
    of its spelling lands on the survivor too. Audited."""
    workspace_id = principal.workspace_id
    source = get_entity(session=session, workspace_id=workspace_id, entity_id=entity_id)
    target = get_entity(session=session, workspace_id=workspace_id, entity_id=into_id)
    if source.id == target.id:
        raise InvalidInput("an entity cannot be merged into itself")
    if source.kind != target.kind:
        raise InvalidInput(f"a {source.kind} cannot be merged into a {target.kind}")
    moved = session.execute(update(EntityMention).where(
        EntityMention.workspace_id == workspace_id, EntityMention.entity_id == source.id,
    ).values(entity_id=target.id)).rowcount
    # Earlier merges into the source now point at the target: chains stay one link long.
    session.execute(update(Entity).where(
        Entity.workspace_id == workspace_id, Entity.merged_into_id == source.id,
    ).values(merged_into_id=target.id))
    source.merged_into_id = target.id
    session.flush()
    audit.record_by(session=session, principal=principal, action="entity.merge",
                    target_type="entity", target_id=target.id,
                    details={"merged": source.id, "merged_name": source.name,
                             "into_name": target.name, "mentions": moved})
    return target
