"""API key routes: admins of a workspace create, list and revoke its keys."""

from fastapi import APIRouter, Response, status

from casework.api.deps import CanManageKeys, ReadSessionDep, SessionDep
from casework.apikeys import service
from casework.apikeys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut

router = APIRouter(prefix="/api-keys", tags=["api keys"])


@router.post("", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
def create_key(body: ApiKeyCreate, session: SessionDep, principal: CanManageKeys) -> ApiKeyCreated:
    key, secret = service.create_key(session=session, principal=principal, name=body.name,
                                     scopes=body.scopes, expires_in_days=body.expires_in_days)
    return ApiKeyCreated(**ApiKeyOut.model_validate(key).model_dump(), key=secret)


@router.get("", response_model=list[ApiKeyOut])
def list_keys(session: ReadSessionDep, principal: CanManageKeys) -> list[ApiKeyOut]:
    return [ApiKeyOut.model_validate(k)
            for k in service.list_keys(session=session, workspace_id=principal.workspace_id)]


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_key(key_id: str, session: SessionDep, principal: CanManageKeys) -> Response:
    """Immediate: the next request with this key is refused."""
    service.revoke_key(session=session, principal=principal, key_id=key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
