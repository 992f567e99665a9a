"""Export routes: ask for an archive, follow it, download it by its link, the public key."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import StreamingResponse

from casework.api.deps import (
    OriginDep,
    PrincipalDep,
    ReadSessionDep,
    RuntimeDep,
    SessionDep,
)
from casework.api.pagination import Page, PagingDep
from casework.api.ranges import parse_range
from casework.exports import links, service
from casework.exports.models import Export, ExportStatus
from casework.exports.schemas import ExportCreate, ExportOut, PublicKeyOut
from casework.exports.signing import ALGORITHM
from casework.runtime import Runtime

router = APIRouter(tags=["exports"])

PEM_TYPE = "application/x-pem-file"


def _out(export: Export, runtime: Runtime, actor: str) -> ExportOut:
    link = None
    if export.status == ExportStatus.succeeded:
        link = links.make_download_link(settings=runtime.settings,
                                        workspace_id=export.workspace_id,
                                        export_id=export.id, actor=actor)
    return ExportOut.build(export, settings=runtime.settings, link=link)


@router.post("/collections/{collection_id}/exports", response_model=ExportOut,
             status_code=status.HTTP_202_ACCEPTED)
def create_export(collection_id: str, body: ExportCreate, session: SessionDep,
                  runtime: RuntimeDep, principal: PrincipalDep) -> ExportOut:
    """Queue a ZIP of the collection (or of `document_ids`); follow it at GET /exports/{id}.

    Making one takes the write permission (editor and up: it stores an archive and runs a
    job); reading an export, and its download link, takes read. Audited as `export.create`
    and `export.download`."""
    export = service.create_export(session=session, runtime=runtime, principal=principal,
                                   collection_id=collection_id, include=body.include,
                                   strip_gps=body.strip_gps, document_ids=body.document_ids)
    return _out(export, runtime, links.link_actor(principal))


@router.get("/collections/{collection_id}/exports", response_model=Page[ExportOut])
def list_exports(collection_id: str, session: ReadSessionDep, runtime: RuntimeDep,
                 principal: PrincipalDep, paging: PagingDep) -> Page[ExportOut]:
    rows, total = service.list_exports(session=session, workspace_id=principal.workspace_id,
                                       collection_id=collection_id, limit=paging.limit,
                                       offset=paging.offset)
    actor = links.link_actor(principal)
    return Page(items=[_out(r, runtime, actor) for r in rows], total=total,
                limit=paging.limit, offset=paging.offset)


@router.get("/exports/public-key", response_model=PublicKeyOut)
def public_key(runtime: RuntimeDep) -> PublicKeyOut:
    """The installation's export-signing public key: no secret, no login needed, so whoever
    receives an export can fetch it to check the archive (`casework verify-export`)."""
    key = service.installation_key(runtime.settings)
    return PublicKeyOut(algorithm=ALGORITHM, fingerprint=key.fingerprint,
                        public_key_pem=key.public_pem().decode())


@router.get("/exports/public-key.pem", response_class=Response,
            responses={200: {"content": {PEM_TYPE: {}}}})
def public_key_pem(runtime: RuntimeDep) -> Response:
    key = service.installation_key(runtime.settings)
    return Response(key.public_pem(), media_type=PEM_TYPE, headers={
        "Content-Disposition": 'attachment; filename="casework-export-key.pem"',
        "X-Key-Fingerprint": key.fingerprint})


@router.get("/exports/{export_id}", response_model=ExportOut)
def get_export(export_id: str, session: ReadSessionDep, runtime: RuntimeDep,
               principal: PrincipalDep) -> ExportOut:
    """Status and progress; once it succeeded, a fresh download link."""
    export = service.get_export(session=session, workspace_id=principal.workspace_id,
                                export_id=export_id)
    return _out(export, runtime, links.link_actor(principal))


@router.delete("/exports/{export_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_export(export_id: str, session: SessionDep, runtime: RuntimeDep,
                  principal: PrincipalDep) -> Response:
    service.delete_export(session=session, runtime=runtime, principal=principal,
                          export_id=export_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/exports/{export_id}/download", response_class=StreamingResponse,
            responses={200: {"content": {"application/zip": {}}},
                       206: {"description": "The requested byte range."},
                       410: {"description": "The link has expired."}})
def download_export(
    export_id: str, session: ReadSessionDep, runtime: RuntimeDep, origin: OriginDep,
    ws: Annotated[str, Query(min_length=1, max_length=64)],
    expires: Annotated[int, Query(ge=0, le=2**40)],
    by: Annotated[str, Query(min_length=1, max_length=links.MAX_ACTOR_CHARS)],
    signature: Annotated[str, Query(min_length=1, max_length=128)],
    range_: Annotated[str | None, Header(alias="range", max_length=200)] = None,
    if_range: Annotated[str | None, Header(max_length=200)] = None,
) -> StreamingResponse:
    """The ZIP, streamed, by the link GET /exports/{id} gives: no session needed. Byte
    ranges are served, so a large download can resume; each link's use is audited once
    per DOWNLOAD_AUDIT_WINDOW_SECONDS."""
    settings = runtime.settings
    links.check_download_link(settings=settings, workspace_id=ws, export_id=export_id,
                              expires=expires, actor=by, signature=signature)
    export = service.get_finished_export(session=session, workspace_id=ws,
                                         export_id=export_id)
    size = export.size_bytes or 0
    etag = f'"{export.sha256}"'
    wanted = parse_range(range_, size, if_range=if_range, etag=etag)
    service.audit_download(runtime=runtime, export=export, actor=by, origin=origin)
    blob_key = export.blob_key or ""
    headers = {"Content-Disposition": 'attachment; filename="'
               f'{service.download_name(session=session, export=export)}"',
               "Accept-Ranges": "bytes", "ETag": etag, "X-Content-Type-Options": "nosniff",
               "Cache-Control": "private, no-store",
               "Content-Length": str(wanted.length if wanted else size)}
    if wanted is None:
        return StreamingResponse(runtime.blobs.open_chunks(blob_key),
                                 media_type="application/zip", headers=headers)
    headers["Content-Range"] = wanted.content_range(size)
    return StreamingResponse(runtime.blobs.open_range(blob_key, wanted.start, wanted.length),
                             status_code=status.HTTP_206_PARTIAL_CONTENT,
                             media_type="application/zip", headers=headers)
