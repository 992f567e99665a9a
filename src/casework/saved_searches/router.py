"""Saved search routes: members who write save and change them, readers list them."""

from fastapi import APIRouter, Response, status

from casework.api.deps import PrincipalDep, ReadSessionDep, SessionDep
from casework.saved_searches import service
from casework.saved_searches.schemas import (
    SavedSearchCreate,
    SavedSearchMatchOut,
    SavedSearchOut,
    SavedSearchUpdate,
)

router = APIRouter(prefix="/saved-searches", tags=["search"])


@router.post("", response_model=SavedSearchOut, status_code=status.HTTP_201_CREATED)
def create_saved_search(body: SavedSearchCreate, session: SessionDep,
                        principal: PrincipalDep) -> SavedSearchOut:
    return SavedSearchOut.model_validate(service.create_saved_search(
        session=session, principal=principal, name=body.name, query=body.query,
        collection_id=body.collection_id, alert_webhook=body.alert_webhook,
        alert_email=body.alert_email))


@router.get("", response_model=list[SavedSearchOut])
def list_saved_searches(session: ReadSessionDep,
                        principal: PrincipalDep) -> list[SavedSearchOut]:
    return [SavedSearchOut.model_validate(s) for s in service.list_saved_searches(
        session=session, workspace_id=principal.workspace_id)]


@router.get("/{saved_search_id}", response_model=SavedSearchOut)
def get_saved_search(saved_search_id: str, session: ReadSessionDep,
                     principal: PrincipalDep) -> SavedSearchOut:
    return SavedSearchOut.model_validate(service.get_saved_search(
        session=session, workspace_id=principal.workspace_id, saved_search_id=saved_search_id))


@router.patch("/{saved_search_id}", response_model=SavedSearchOut)
def update_saved_search(saved_search_id: str, body: SavedSearchUpdate, session: SessionDep,
                        principal: PrincipalDep) -> SavedSearchOut:
    return SavedSearchOut.model_validate(service.update_saved_search(
        session=session, principal=principal, saved_search_id=saved_search_id,
        name=body.name, alert_webhook=body.alert_webhook, alert_email=body.alert_email))


@router.delete("/{saved_search_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_saved_search(saved_search_id: str, session: SessionDep,
                        principal: PrincipalDep) -> Response:
    service.delete_saved_search(session=session, principal=principal,
                                saved_search_id=saved_search_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{saved_search_id}/matches", response_model=list[SavedSearchMatchOut])
def list_matches(saved_search_id: str, session: ReadSessionDep,
                 principal: PrincipalDep) -> list[SavedSearchMatchOut]:
    """The documents it alerted about (newest first, at most 500)."""
    return [SavedSearchMatchOut.model_validate(m) for m in service.list_matches(
        session=session, workspace_id=principal.workspace_id, saved_search_id=saved_search_id)]
