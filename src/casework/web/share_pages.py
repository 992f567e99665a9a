"""The public pages of a share link, `/s/<token>/...`: no account, no session, read-only.

Every route opens the link from its token first (404 unknown, 410 expired or revoked), then
asks `shares.access` for what it shows, so no id in a URL reaches anything the link does
not share. A protected link shows its password form until the browser holds the link's
unlock cookie. The pages carry Open Graph and Twitter card tags whose image is the link's
own 1200x630 card (`og.png`); `X-Robots-Tag: noindex` is added by the security middleware.
Every client IP is held to SHARE_REQUESTS_PER_MINUTE across these routes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Header, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from sqlalchemy.orm import Session

from casework.api.deps import (
    OriginDep,
    ReadSessionDep,
    RuntimeDep,
    SessionDep,
    cookie_secure,
)
from casework.api.originals import original_etag, original_response
from casework.api.ranges import parse_range
from casework.core.errors import CaseworkError, Forbidden
from casework.core.origin import RequestOrigin
from casework.documents.models import Document
from casework.media import service as media_service
from casework.media import thumbnails
from casework.media.schemas import GalleryItem
from casework.media.service import Artefact
from casework.runtime import Runtime
from casework.shares import access, card, unlock
from casework.shares import service as shares_service
from casework.shares.models import ShareLink, ShareTarget
from casework.web.templating import build_templates


def limit_visits(runtime: RuntimeDep, origin: OriginDep) -> None:
    """Per client IP, every link together: bounds scraping and token guessing alike."""
    runtime.limiter.enforce("share", origin.ip or "unknown", what="requests to shared links",
                            limit=runtime.settings.share_requests_per_minute,
                            window_seconds=60)


router = APIRouter(prefix="/s", include_in_schema=False, dependencies=[Depends(limit_visits)])
templates = build_templates()

# Only bounded: a mistyped or cut link is "not found" like any unknown token, not a 422.
Token = Annotated[str, Path(max_length=100)]
DocumentId = Annotated[str, Path(min_length=1, max_length=64)]
# Shared assets are revalidated on every use (no-cache + ETag): a revoked link stops
# serving them at once, yet an unchanged image costs a 304, not its bytes.
CACHE_CONTROL = "private, no-cache"
PAGE_SIZE = 50
GALLERY_PAGE = 60
MAX_PAGES_SHOWN = 500
_NOUNS = {ShareTarget.document: "document", ShareTarget.collection: "collection",
          ShareTarget.gallery: "gallery"}


def _open(session: Session, runtime: Runtime, request: Request, token: str) -> ShareLink:
    """The link, if it serves and this browser may see it (password given when needed)."""
    link = shares_service.open_share(session=session, token=token)
    unlock.require_unlocked(settings=runtime.settings, link=link,
                            cookie=request.cookies.get(unlock.UNLOCK_COOKIE))
    return link


def _page(request: Request, runtime: Runtime, session: Session, link: ShareLink, token: str,
          name: str, status_code: int = 200, *, reveal: bool = True,
          **context: object) -> HTMLResponse:
    """A public page with the link's preview tags (for a protected link's form, tags that
    name only the kind of thing shared: `reveal=False`)."""
    summary = card.summarise(session=session, link=link, reveal=reveal)
    base = shares_service.public_base(settings=runtime.settings,
                                      request_base=str(request.base_url))
    url = shares_service.link_url(base=base, token=token)
    og = {"title": summary.text.title, "description": summary.description, "url": url,
          "image": f"{url}/og.png", "image_alt": f"{summary.text.title}: "
          f"{summary.text.detail}"}
    return templates.TemplateResponse(
        request, name, {"link": link, "root": f"/s/{token}", "og": og, "summary": summary,
                        "noun": _NOUNS[link.target_type], **context},
        status_code=status_code)


def _serve(artefact: Artefact, if_none_match: str | None) -> Response:
    headers = {"ETag": artefact.etag, "Cache-Control": CACHE_CONTROL}
    if if_none_match and artefact.etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(artefact.data, media_type=artefact.media_type, headers=headers)


def _with_thumbnails(documents: list[Document]) -> set[str]:
    """The documents whose grid thumbnail is drawn (the others show their type)."""
    return {d.id for d in documents if GalleryItem.build(d).thumbnail_url}


# --- pages -------------------------------------------------------------------------------

@router.get("/{token}", response_class=HTMLResponse)
def shared_page(request: Request, token: Token, session: ReadSessionDep, runtime: RuntimeDep,
                origin: OriginDep,
                offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                cursor: Annotated[str | None, Query(max_length=512)] = None) -> Response:
    """The document, the collection's list or the gallery's grid; a protected link shows
    its password form first."""
    link = shares_service.open_share(session=session, token=token)
    if not unlock.is_unlocked(settings=runtime.settings, link=link,
                              cookie=request.cookies.get(unlock.UNLOCK_COOKIE)):
        return _password_page(request, runtime, session, link, token)
    if link.target_type == ShareTarget.document:
        document = access.root_document(session=session, link=link)
        return _document_page(request, runtime, session, link, token, document, origin)
    shares_service.record_visit(runtime=runtime, link=link, origin=origin)
    collection = access.shared_collection(session=session, link=link)
    if link.target_type == ShareTarget.gallery:
        gallery = access.list_gallery(session=session, link=link, limit=GALLERY_PAGE,
                                      cursor=cursor)
        return _page(request, runtime, session, link, token, "share_gallery.html",
                     collection=collection, items=gallery.items,
                     thumbnails=_with_thumbnails(gallery.items), next_cursor=gallery.next_cursor)
    documents, total = access.list_documents(session=session, link=link, limit=PAGE_SIZE,
                                             offset=offset)
    return _page(request, runtime, session, link, token, "share_collection.html",
                 collection=collection, documents=documents, total=total, offset=offset,
                 page_size=PAGE_SIZE, thumbnails=_with_thumbnails(documents))


@router.get("/{token}/d/{document_id}", response_class=HTMLResponse)
def shared_document_page(request: Request, token: Token, document_id: DocumentId,
                         session: ReadSessionDep, runtime: RuntimeDep,
                         origin: OriginDep) -> Response:
    """One document (or photo) of the link: its text, page images or preview."""
    link = _open(session, runtime, request, token)
    document = access.shared_document(session=session, link=link, document_id=document_id)
    return _document_page(request, runtime, session, link, token, document, origin)


def _document_page(request: Request, runtime: Runtime, session: Session, link: ShareLink,
                   token: str, document: Document, origin: RequestOrigin) -> Response:
    shares_service.record_visit(runtime=runtime, link=link, origin=origin,
                                document_id=document.id)
    pages = access.list_pages(session=session, link=link, document=document,
                              limit=MAX_PAGES_SHOWN)
    item = GalleryItem.build(document)
    return _page(request, runtime, session, link, token, "share_document.html",
                 document=document, pages=pages, collection=access.shared_collection(
                     session=session, link=link),
                 base=f"/s/{token}/d/{document.id}", has_preview=item.preview_url is not None,
                 is_pdf=document.media_type == "application/pdf")


def _password_page(request: Request, runtime: Runtime, session: Session, link: ShareLink,
                   token: str, *, error: str | None = None,
                   status_code: int = 200) -> HTMLResponse:
    nonce = request.cookies.get(unlock.FORM_COOKIE) or unlock.new_form_nonce()
    response = _page(request, runtime, session, link, token, "share_password.html",
                     status_code, reveal=False, error=error,
                     form_token=unlock.form_token(settings=runtime.settings, link=link,
                                                  nonce=nonce))
    response.set_cookie(unlock.FORM_COOKIE, nonce, max_age=unlock.FORM_COOKIE_SECONDS,
                        httponly=True, secure=cookie_secure(runtime.settings), samesite="lax",
                        path=unlock.cookie_path(token))
    return response


@router.post("/{token}/unlock", response_class=HTMLResponse)
def unlock_share(request: Request, token: Token, session: SessionDep, runtime: RuntimeDep,
                 origin: OriginDep,
                 password: Annotated[str, Form(max_length=1024)] = "",
                 form_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    link = shares_service.open_share(session=session, token=token)
    if link.password_hash is None:
        return RedirectResponse(f"/s/{token}", status_code=303)
    try:
        value, lifetime = unlock.unlock(
            session=session, runtime=runtime, link=link, password=password,
            nonce=request.cookies.get(unlock.FORM_COOKIE, ""), sent_token=form_token,
            origin=origin)
    except CaseworkError as exc:
        # Answered as a page, so the session commits the failed attempt's audit row.
        response = _password_page(request, runtime, session, link, token, error=exc.message,
                                  status_code=exc.status_code)
        response.headers.update(exc.headers)
        return response
    response = RedirectResponse(f"/s/{token}", status_code=303)
    response.set_cookie(unlock.UNLOCK_COOKIE, value, max_age=lifetime, httponly=True,
                        secure=cookie_secure(runtime.settings), samesite="lax",
                        path=unlock.cookie_path(token))
    return response


# --- assets ------------------------------------------------------------------------------

IfNoneMatch = Annotated[str | None, Header(max_length=1000)]


@router.get("/{token}/og.png", response_class=Response)
def preview_card(token: Token, session: ReadSessionDep, runtime: RuntimeDep,
                 if_none_match: IfNoneMatch = None) -> Response:
    """The link's 1200x630 preview card. Served without the password (a chat service's
    crawler has none): a protected link's card names only the kind of thing shared."""
    link = shares_service.open_share(session=session, token=token)
    drawn = card.preview_card(session=session, runtime=runtime, link=link)
    return _serve(Artefact(data=drawn.data, media_type="image/png", etag=drawn.etag),
                  if_none_match)


@router.get("/{token}/d/{document_id}/thumbnail", response_class=Response)
def shared_thumbnail(request: Request, token: Token, document_id: DocumentId,
                     session: ReadSessionDep, runtime: RuntimeDep,
                     size: Annotated[int, Query(ge=1, le=10_000)] = thumbnails.GRID,
                     if_none_match: IfNoneMatch = None) -> Response:
    link = _open(session, runtime, request, token)
    document = access.shared_document(session=session, link=link, document_id=document_id)
    return _serve(media_service.thumbnail_of(runtime=runtime, document=document, size=size),
                  if_none_match)


@router.get("/{token}/d/{document_id}/pages/{number}/preview", response_class=Response)
def shared_page_preview(request: Request, token: Token, document_id: DocumentId,
                        number: Annotated[int, Path(ge=1, le=1_000_000)],
                        session: ReadSessionDep, runtime: RuntimeDep,
                        if_none_match: IfNoneMatch = None) -> Response:
    link = _open(session, runtime, request, token)
    document = access.shared_document(session=session, link=link, document_id=document_id)
    return _serve(media_service.page_preview_of(runtime=runtime, document=document,
                                                number=number), if_none_match)


@router.get("/{token}/d/{document_id}/original", response_class=StreamingResponse)
def shared_original(
    request: Request, token: Token, document_id: DocumentId, session: ReadSessionDep,
    runtime: RuntimeDep, origin: OriginDep,
    range_: Annotated[str | None, Header(alias="range", max_length=200)] = None,
    if_range: Annotated[str | None, Header(max_length=200)] = None,
) -> StreamingResponse:
    """The original file, when the link allows downloads (ranges too, so videos play);
    audited as `share.download` once per visitor and document per window."""
    link = _open(session, runtime, request, token)
    document = access.shared_document(session=session, link=link, document_id=document_id)
    if not link.allow_download:
        raise Forbidden("downloads are turned off for this link")
    wanted = parse_range(range_, document.size_bytes, if_range=if_range,
                         etag=original_etag(document))
    shares_service.record_visit(runtime=runtime, link=link, origin=origin,
                                action="share.download", document_id=document.id)
    return original_response(runtime=runtime, document=document, wanted=wanted)
