"""Share link routes: members who may write create and revoke a workspace's links; every
member may list them (who created each, its state, how often it was viewed)."""

from datetime import timedelta

from fastapi import APIRouter, Request, Response, status

from casework.api.deps import PrincipalDep, ReadSessionDep, RuntimeDep, SessionDep
from casework.api.pagination import Page, PagingDep
from casework.shares import service
from casework.shares.schemas import ShareCreate, ShareCreated, ShareOut

router = APIRouter(prefix="/shares", tags=["shares"])


@router.post("", response_model=ShareCreated, status_code=status.HTTP_201_CREATED)
def create_share(body: ShareCreate, request: Request, session: SessionDep, runtime: RuntimeDep,
                 principal: PrincipalDep) -> ShareCreated:
    """A read-only link to a document, a collection or a collection's gallery. The token
    (and `url`) are in this answer only: the server keeps a digest."""
    settings = runtime.settings
    link, token = service.create_share(
        session=session, principal=principal, target_type=body.target_type,
        target_id=body.target_id, expires_in=timedelta(seconds=body.expires_in),
        max_lifetime=timedelta(days=settings.share_max_days), password=body.password,
        allow_download=body.allow_download)
    row = service.describe_share(session=session, link=link)
    base = service.public_base(settings=settings, request_base=str(request.base_url))
    return ShareCreated(**ShareOut.build(row).model_dump(), token=token,
                        url=service.link_url(base=base, token=token))


@router.get("", response_model=Page[ShareOut])
def list_shares(session: ReadSessionDep, principal: PrincipalDep,
                paging: PagingDep) -> Page[ShareOut]:
    rows, total = service.list_shares(session=session, workspace_id=principal.workspace_id,
                                      limit=paging.limit, offset=paging.offset)
    return Page(items=[ShareOut.build(r) for r in rows], total=total, limit=paging.limit,
                offset=paging.offset)


@router.delete("/{share_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_share(share_id: str, session: SessionDep, principal: PrincipalDep) -> Response:
    """Immediate: the next visit of the link is answered 410 Gone."""
    service.revoke_share(session=session, principal=principal, share_id=share_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
