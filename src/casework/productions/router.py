"""Production routes: ask for a production set, list and follow them, download, delete."""

from fastapi import APIRouter, Response, status
from fastapi.responses import StreamingResponse

from casework.api.deps import PrincipalDep, ReadSessionDep, RuntimeDep, SessionDep
from casework.api.pagination import Page, PagingDep
from casework.entities import service as entities_service
from casework.productions import service
from casework.productions.schemas import ProductionCreate, ProductionOut
from casework.search.filters import SearchFilters

router = APIRouter(tags=["productions"])


@router.post("/productions", response_model=ProductionOut,
             status_code=status.HTTP_202_ACCEPTED)
def create_production(body: ProductionCreate, session: SessionDep, runtime: RuntimeDep,
                      principal: PrincipalDep) -> ProductionOut:
    """Queue a production set; follow it at GET /productions/{id}. The selection is
    resolved and ordered now. Needs the write permission; audited `production.create`."""
    selection = service.Selection(collection_id=body.collection_id,
                                  responsiveness=body.responsiveness,
                                  document_ids=body.document_ids)
    if body.search is not None:
        search = body.search
        entity_id = None
        if search.entity is not None:  # a merged entity's id stands for its survivor
            entity_id = entities_service.get_entity(
                session=session, workspace_id=principal.workspace_id,
                entity_id=search.entity).id
        selection = service.Selection(search_text=search.q, search_filters=SearchFilters(
            collection_id=search.collection_id, tag=search.tag, media_type=search.type,
            entity_id=entity_id, responsiveness=search.responsiveness,
            privileged=search.privileged, hot=search.hot, issue=search.issue))
    numbering = service.Numbering(prefix=body.bates_prefix, start=body.start_number,
                                  digits=body.digits, position=str(body.stamp_position),
                                  legend=body.legend, volume=body.volume)
    production = service.create_production(session=session, runtime=runtime,
                                           principal=principal, name=body.name,
                                           selection=selection, numbering=numbering,
                                           natives=body.natives, families=body.families)
    return ProductionOut.build(production)


@router.get("/productions", response_model=Page[ProductionOut])
def list_productions(session: ReadSessionDep, principal: PrincipalDep,
                     paging: PagingDep) -> Page[ProductionOut]:
    rows, total = service.list_productions(session=session,
                                           workspace_id=principal.workspace_id,
                                           limit=paging.limit, offset=paging.offset)
    return Page(items=[ProductionOut.build(r) for r in rows], total=total,
                limit=paging.limit, offset=paging.offset)


@router.get("/productions/{production_id}", response_model=ProductionOut)
def get_production(production_id: str, session: ReadSessionDep,
                   principal: PrincipalDep) -> ProductionOut:
    return ProductionOut.build(service.get_production(
        session=session, workspace_id=principal.workspace_id, production_id=production_id))


@router.delete("/productions/{production_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_production(production_id: str, session: SessionDep, runtime: RuntimeDep,
                      principal: PrincipalDep) -> Response:
    service.delete_production(session=session, runtime=runtime, principal=principal,
                              production_id=production_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/productions/{production_id}/download", response_class=StreamingResponse,
            responses={200: {"content": {"application/zip": {}}}})
def download_production(production_id: str, session: ReadSessionDep, runtime: RuntimeDep,
                        principal: PrincipalDep) -> StreamingResponse:
    """The ZIP, streamed from the blob store; audited `production.download`."""
    production, chunks = service.open_download(session=session, runtime=runtime,
                                               principal=principal,
                                               production_id=production_id)
    return StreamingResponse(chunks, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{service.download_name(production)}"',
        "Content-Length": str(production.size_bytes or 0), "ETag": f'"{production.sha256}"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})
