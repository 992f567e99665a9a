"""Entity routes: list, read with mentions, merge spelling variants."""

from typing import Annotated

from fastapi import APIRouter, Query

from casework.api.deps import PrincipalDep, ReadSessionDep, SessionDep
from casework.api.pagination import Page, PagingDep
from casework.entities import service
from casework.entities.models import EntityKind
from casework.entities.schemas import EntityDetailOut, EntityMerge, EntityOut, MentionOut

router = APIRouter(prefix="/entities", tags=["entities"])


@router.get("", response_model=Page[EntityOut])
def list_entities(session: ReadSessionDep, principal: PrincipalDep, paging: PagingDep,
                  kind: EntityKind | None = None,
                  q: Annotated[str | None, Query(max_length=200)] = None,
                  collection_id: Annotated[str | None, Query(max_length=64)] = None,
                  ) -> Page[EntityOut]:
    rows, total = service.list_entities(
        session=session, workspace_id=principal.workspace_id, kind=kind, q=q,
        collection_id=collection_id, limit=paging.limit, offset=paging.offset)
    return Page(items=[EntityOut.build(r) for r in rows], total=total, limit=paging.limit,
                offset=paging.offset)


@router.get("/{entity_id}", response_model=EntityDetailOut)
def get_entity(entity_id: str, session: ReadSessionDep, principal: PrincipalDep,
               paging: PagingDep) -> EntityDetailOut:
    """A merged entity's id answers with the entity it was merged into."""
    workspace_id = principal.workspace_id
    entity = service.get_entity(session=session, workspace_id=workspace_id,
                                entity_id=entity_id)
    rows, total = service.list_mentions(session=session, workspace_id=workspace_id,
                                        entity_id=entity.id, limit=paging.limit,
                                        offset=paging.offset)
    counted = service.count_entity(session=session, workspace_id=workspace_id, entity=entity)
    return EntityDetailOut(entity=EntityOut.build(counted), mentions=Page(
        items=[MentionOut.build(r) for r in rows], total=total, limit=paging.limit,
        offset=paging.offset))


@router.post("/{entity_id}/merge", response_model=EntityOut)
def merge_entity(entity_id: str, body: EntityMerge, session: SessionDep,
                 principal: PrincipalDep) -> EntityOut:
    """Move every mention to `into` (same kind); later finds of this spelling go there too."""
    target = service.merge_entities(session=session, principal=principal,
                                    entity_id=entity_id, into_id=body.into)
    return EntityOut.build(service.count_entity(session=session,
                                                workspace_id=principal.workspace_id,
                                                entity=target))
