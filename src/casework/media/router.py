"""Media routes: gallery, thumbnails, posters, contact sheets, PDF page previews.

Derived files are content-addressed, so they are served as immutable with an ETag made
of the original's digest and the artefact's name; `private` because they are workspace
data that shared caches must not keep.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Response

from casework.api.deps import PrincipalDep, ReadSessionDep, RuntimeDep
from casework.media import service
from casework.media.schemas import GalleryItem, GalleryPageOut
from casework.media.service import Artefact, ArtefactKind, GallerySort
from casework.media.thumbnails import GRID

router = APIRouter(tags=["media"])

CACHE_CONTROL = "private, max-age=31536000, immutable"
IfNoneMatch = Annotated[str | None, Header()]


def _serve(artefact: Artefact, if_none_match: str | None) -> Response:
    headers = {"ETag": artefact.etag, "Cache-Control": CACHE_CONTROL,
               "X-Content-Type-Options": "nosniff"}
    if if_none_match and artefact.etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(artefact.data, media_type=artefact.media_type, headers=headers)


@router.get("/collections/{collection_id}/gallery", response_model=GalleryPageOut)
def gallery(
    collection_id: str, session: ReadSessionDep, principal: PrincipalDep,
    sort: GallerySort = GallerySort.captured_at,
    order: Literal["asc", "desc"] = "desc",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> GalleryPageOut:
    """A collection's photos and videos, newest first by default, `limit` per page."""
    page = service.list_gallery(session=session, workspace_id=principal.workspace_id,
                                collection_id=collection_id, sort=sort,
                                descending=order == "desc", limit=limit, cursor=cursor)
    return GalleryPageOut(items=[GalleryItem.build(d) for d in page.items],
                          next_cursor=page.next_cursor)


@router.get("/documents/{document_id}/thumbnail", response_class=Response,
            responses={200: {"content": {"image/webp": {}, "image/jpeg": {}}}})
def thumbnail(document_id: str, session: ReadSessionDep, runtime: RuntimeDep,
              principal: PrincipalDep, if_none_match: IfNoneMatch = None,
              size: Annotated[int, Query(ge=1, le=10_000, description="320 or 1280")] = GRID,
              ) -> Response:
    """320 px grid thumbnails are WebP; previews (size 1280: at most 1280 px, a JPEG photo's
    from 1000) are JPEG for photos, else WebP."""
    return _serve(service.get_thumbnail(
        session=session, runtime=runtime, principal=principal, document_id=document_id,
        size=size), if_none_match)


@router.get("/documents/{document_id}/poster", response_class=Response,
            responses={200: {"content": {"image/webp": {}}}})
def poster(document_id: str, session: ReadSessionDep, runtime: RuntimeDep,
           principal: PrincipalDep, if_none_match: IfNoneMatch = None) -> Response:
    """A video's poster frame."""
    return _serve(service.get_artefact(
        session=session, runtime=runtime, workspace_id=principal.workspace_id,
        document_id=document_id, kind=ArtefactKind.poster), if_none_match)


@router.get("/documents/{document_id}/contact-sheet", response_class=Response,
            responses={200: {"content": {"image/webp": {}}}})
def contact_sheet(document_id: str, session: ReadSessionDep, runtime: RuntimeDep,
                  principal: PrincipalDep, if_none_match: IfNoneMatch = None) -> Response:
    """A video's key frames at a fixed interval; their times are in the document's
    metadata (`contact_sheet.times`)."""
    return _serve(service.get_artefact(
        session=session, runtime=runtime, workspace_id=principal.workspace_id,
        document_id=document_id, kind=ArtefactKind.contact_sheet), if_none_match)


@router.get("/documents/{document_id}/pages/{number}/preview", response_class=Response,
            responses={200: {"content": {"image/webp": {}}}})
def page_preview(document_id: str, number: Annotated[int, Path(ge=1, le=1_000_000)],
                 session: ReadSessionDep, runtime: RuntimeDep, principal: PrincipalDep,
                 if_none_match: IfNoneMatch = None) -> Response:
    """A PDF page as an image for the viewer (rendered on first view past the first pages)."""
    return _serve(service.get_page_preview(
        session=session, runtime=runtime, principal=principal, document_id=document_id,
        number=number), if_none_match)
