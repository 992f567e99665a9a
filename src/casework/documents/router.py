"""Document routes: upload (streamed), list, detail, pages, download, tags, retry, delete."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from casework.api.deps import PrincipalDep, ReadSessionDep, RuntimeDep, SessionDep
from casework.api.originals import original_etag, original_response
from casework.api.pagination import Page, PagingDep
from casework.api.ranges import parse_range
from casework.audit import service as audit
from casework.core.errors import PayloadTooLarge
from casework.documents import service
from casework.documents.models import DocumentStatus
from casework.documents.schemas import (
    DocumentOut,
    PageOut,
    TagsOut,
    TagsUpdate,
    UploadedDocument,
    UploadResponse,
)
from casework.ingest import service as ingest_service
from casework.ingest.upload import receive_multipart
from casework.mail import service as mail_service
from casework.mail.schemas import MessageOut
from casework.neardup import service as neardup_service
from casework.neardup.schemas import GroupOut
from casework.review import service as review_service
from casework.review.schemas import CodingOut
from casework.tags import service as tags_service

router = APIRouter(tags=["documents"])

MULTIPART_OVERHEAD = 64 * 1024


@router.post("/collections/{collection_id}/documents", response_model=UploadResponse,
             status_code=status.HTTP_202_ACCEPTED)
async def upload_documents(
    collection_id: str, request: Request, session: SessionDep, runtime: RuntimeDep,
    principal: PrincipalDep,
    content_length: Annotated[int | None, Header(ge=0)] = None,
) -> UploadResponse:
    """Upload one or more files as multipart parts named `files`. Processing is queued.
    Optional fields `custodian` (up to 200 characters) and `source_path` (up to 1024: where
    the files were found) go to each file's custody record, duplicates' too."""
    settings = runtime.settings
    runtime.limiter.enforce("upload", principal.workspace_id, what="uploads",
                            limit=settings.upload_rate_limit_per_hour, window_seconds=3600)
    ceiling = settings.max_upload_bytes * settings.max_files_per_upload + MULTIPART_OVERHEAD
    if content_length is not None and content_length > ceiling:
        raise PayloadTooLarge(f"the request is larger than the limit of {ceiling} bytes")
    form = await receive_multipart(
        content_type=request.headers.get("content-type"), stream=request.stream(),
        tmp_dir=settings.tmp_dir, max_file_bytes=settings.max_upload_bytes,
        max_files=settings.max_files_per_upload)
    try:
        batch = await run_in_threadpool(
            ingest_service.accept_uploads_by, session=session, runtime=runtime,
            principal=principal, collection_id=collection_id, files=form.files,
            custodian=form.fields.get("custodian"), source_path=form.fields.get("source_path"))
    finally:
        form.discard()  # files already published were moved away; this removes the rest
    return UploadResponse(batch_id=batch.batch_id, documents=[
        UploadedDocument(document=DocumentOut.build(a.document, []), duplicate=a.duplicate)
        for a in batch.accepted])


@router.get("/documents", response_model=Page[DocumentOut])
def list_documents(
    session: ReadSessionDep, principal: PrincipalDep, paging: PagingDep,
    collection_id: Annotated[str | None, Query(max_length=64)] = None,
    status_: Annotated[DocumentStatus | None, Query(alias="status")] = None,
    media_type: Annotated[str | None, Query(max_length=127)] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[DocumentOut]:
    filters = service.DocumentFilters(collection_id=collection_id, status=status_,
                                      media_type=media_type, tag=tag)
    rows, total = service.list_documents(session=session, workspace_id=principal.workspace_id,
                                         filters=filters, limit=paging.limit,
                                         offset=paging.offset)
    ids = [d.id for d in rows]
    tags = tags_service.document_tags(session=session, workspace_id=principal.workspace_id,
                                      document_ids=ids)
    codings = review_service.codings(session=session, workspace_id=principal.workspace_id,
                                     document_ids=ids)
    return Page(items=[DocumentOut.build(d, tags[d.id], CodingOut.build(codings[d.id]))
                       for d in rows], total=total,
                limit=paging.limit, offset=paging.offset)


@router.get("/documents/{document_id}", response_model=DocumentOut)
def get_document(document_id: str, session: ReadSessionDep,
                 principal: PrincipalDep) -> DocumentOut:
    document = service.get_document(session=session, workspace_id=principal.workspace_id,
                                    document_id=document_id)
    tags = tags_service.document_tags(session=session, workspace_id=principal.workspace_id,
                                      document_ids=[document.id])
    coding = review_service.codings(session=session, workspace_id=principal.workspace_id,
                                    document_ids=[document.id])[document.id]
    group = neardup_service.document_group(session=session, workspace_id=principal.workspace_id,
                                           document_id=document.id)
    out = DocumentOut.build(document, tags[document.id], CodingOut.build(coding))
    out.near_duplicates = GroupOut.build(group) if group else None
    message = mail_service.message_of(session=session, workspace_id=principal.workspace_id,
                                      document_id=document.id)
    if message is not None:
        out.message = MessageOut.build(message)
    return out


@router.get("/documents/{document_id}/pages", response_model=list[PageOut])
def list_pages(document_id: str, session: ReadSessionDep, runtime: RuntimeDep,
               principal: PrincipalDep, paging: PagingDep) -> list[PageOut]:
    """The document's text, page by page; reading it is audited as `document.view`."""
    pages = service.read_pages(session=session, runtime=runtime, principal=principal,
                               document_id=document_id, limit=paging.limit,
                               offset=paging.offset)
    return [PageOut.model_validate(p) for p in pages]


@router.get("/documents/{document_id}/original", response_class=StreamingResponse,
            responses={206: {"description": "The requested byte range (Range: bytes=a-b)."},
                       416: {"description": "The range is outside the file."}})
def download_original(
    document_id: str, session: ReadSessionDep, runtime: RuntimeDep, principal: PrincipalDep,
    range_: Annotated[str | None, Header(alias="range", max_length=200)] = None,
    if_range: Annotated[str | None, Header(max_length=200)] = None,
) -> StreamingResponse:
    """The original bytes, streamed; supports single byte ranges so players can seek."""
    document = service.get_document(session=session, workspace_id=principal.workspace_id,
                                    document_id=document_id)
    wanted = parse_range(range_, document.size_bytes, if_range=if_range,
                         etag=original_etag(document))
    audit.record_download(sessions=runtime.sessions, limiter=runtime.limiter,
                          window_seconds=runtime.settings.download_audit_window_seconds,
                          principal=principal, document_id=document.id)
    return original_response(runtime=runtime, document=document, wanted=wanted)


@router.put("/documents/{document_id}/tags", response_model=TagsOut)
def set_tags(document_id: str, body: TagsUpdate, session: SessionDep,
             principal: PrincipalDep) -> TagsOut:
    return TagsOut(tags=service.set_tags(session=session, principal=principal,
                                         document_id=document_id, tags=body.tags))


@router.post("/documents/{document_id}/retry", response_model=DocumentOut,
             status_code=status.HTTP_202_ACCEPTED)
def retry_document(document_id: str, session: SessionDep, runtime: RuntimeDep,
                   principal: PrincipalDep) -> DocumentOut:
    document = service.retry_document(session=session, runtime=runtime, principal=principal,
                                      document_id=document_id)
    return DocumentOut.build(document, [])


@router.delete("/documents/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document(document_id: str, session: SessionDep, runtime: RuntimeDep,
                    principal: PrincipalDep) -> Response:
    service.delete_document(session=session, runtime=runtime, principal=principal,
                            document_id=document_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
