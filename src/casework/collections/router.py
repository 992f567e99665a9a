"""Collection routes."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from casework.api.deps import PrincipalDep, ReadSessionDep, RuntimeDep, SessionDep
from casework.api.pagination import Page, PagingDep
from casework.collections import service
from casework.collections.models import CollectionKind
from casework.collections.schemas import CollectionCreate, CollectionOut, CollectionUpdate

router = APIRouter(prefix="/collections", tags=["collections"])


@router.post("", response_model=CollectionOut, status_code=status.HTTP_201_CREATED)
def create_collection(body: CollectionCreate, session: SessionDep,
                      principal: PrincipalDep) -> CollectionOut:
    collection = service.create_collection(
        session=session, principal=principal, name=body.name, kind=body.kind,
        reference=body.reference, description=body.description)
    return CollectionOut.model_validate(collection)


@router.get("", response_model=Page[CollectionOut])
def list_collections(
    session: ReadSessionDep, principal: PrincipalDep, paging: PagingDep,
    kind: Annotated[CollectionKind | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=200, description=(
        "Collections whose name or reference number holds every word of `q`, ignoring "
        "case (substrings: `hb-2024` finds `HB-2024-17`)."))] = None,
) -> Page[CollectionOut]:
    rows, total = service.list_collections(session=session, workspace_id=principal.workspace_id,
                                           kind=kind, q=q, limit=paging.limit,
                                           offset=paging.offset)
    return Page(items=[CollectionOut.model_validate(c) for c in rows], total=total,
                limit=paging.limit, offset=paging.offset)


@router.get("/{collection_id}", response_model=CollectionOut)
def get_collection(collection_id: str, session: ReadSessionDep,
                   principal: PrincipalDep) -> CollectionOut:
    return CollectionOut.model_validate(service.get_collection(
        session=session, workspace_id=principal.workspace_id, collection_id=collection_id))


@router.patch("/{collection_id}", response_model=CollectionOut)
def update_collection(collection_id: str, body: CollectionUpdate, session: SessionDep,
                      principal: PrincipalDep) -> CollectionOut:
    return CollectionOut.model_validate(service.update_collection(
        session=session, principal=principal, collection_id=collection_id,
        changes=body.model_dump(exclude_unset=True)))


@router.delete("/{collection_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_collection(collection_id: str, session: SessionDep, runtime: RuntimeDep,
                      principal: PrincipalDep) -> Response:
    service.delete_collection(session=session, runtime=runtime, principal=principal,
                              collection_id=collection_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
