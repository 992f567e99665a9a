"""Web pages: collections, documents and search (notes: web/notes.py). Thin: parse, call a
service, render."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from casework.accounts.permissions import Permission
from casework.api.deps import ReadSessionDep, RuntimeDep, SessionDep, cookie_secure
from casework.collections import service as collections_service
from casework.collections.models import CollectionKind
from casework.core.errors import CaseworkError, Forbidden
from casework.custody import service as custody_service
from casework.documents import service as documents_service
from casework.documents.models import DocumentStatus
from casework.exports import service as exports_service
from casework.holds import service as holds_service
from casework.learning import service as learning_service
from casework.mail import service as mail_service
from casework.media.schemas import GalleryItem
from casework.neardup import service as neardup_service
from casework.reports import saved_questions
from casework.reports import service as reports_service
from casework.review import service as review_service
from casework.tags import service as tags_service
from casework.web import progress as progress_panel
from casework.web.containers import container_context
from casework.web.deps import (
    WORKSPACE_COOKIE,
    Viewer,
    ViewerDep,
    Visitor,
    VisitorDep,
)
from casework.web.redaction import redaction_context
from casework.web.templating import build_templates

router = APIRouter(include_in_schema=False)
templates = build_templates()
PAGE_SIZE = 50


def render(request: Request, viewer: Viewer | Visitor | None, name: str, status_code: int = 200,
           **context: object) -> HTMLResponse:
    base: dict[str, object] = {"workspace": None, "workspaces": [], "csrf_token": ""}
    if viewer is not None:
        base = {"workspace": viewer.workspace, "workspaces": viewer.workspaces,
                "csrf_token": viewer.csrf_token, "user": viewer.user}
    return templates.TemplateResponse(request, name, {**base, **context},
                                      status_code=status_code)


def split_tags(raw: str) -> list[str]:
    return [t for t in (part.strip() for part in raw.split(",")) if t]


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/")
def home() -> RedirectResponse:
    return see_other("/collections")


@router.post("/workspace")
def switch_workspace(visitor: VisitorDep, runtime: RuntimeDep,
                     workspace: Annotated[str, Form(max_length=120)]) -> Response:
    """Only remembers the choice: every page re-applies that workspace's policies."""
    if workspace not in {w.slug for w in visitor.workspaces}:
        raise Forbidden("you are not a member of that workspace")
    response = see_other("/collections")
    response.set_cookie(WORKSPACE_COOKIE, workspace, httponly=True, samesite="lax",
                        secure=cookie_secure(runtime.settings), max_age=365 * 24 * 3600,
                        path="/")
    return response


# --- collections -------------------------------------------------------------------------

def _collections_page(request: Request, viewer: Viewer, session: ReadSessionDep, *,
                      q: str = "", form: dict[str, str] | None = None,
                      error: str | None = None, status_code: int = 200) -> HTMLResponse:
    workspace_id = viewer.principal.workspace_id
    rows, _ = collections_service.list_collections(session=session, workspace_id=workspace_id,
                                                   kind=None, q=q, limit=500, offset=0)
    counts = documents_service.counts_by_collection(session=session, workspace_id=workspace_id)
    return render(request, viewer, "collections.html", status_code, nav="collections",
                  collections=rows, counts=counts, form=form or {}, error=error, q=q)


@router.get("/collections", response_class=HTMLResponse)
def collections_page(request: Request, viewer: ViewerDep, session: ReadSessionDep,
                     q: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    return _collections_page(request, viewer, session, q=q)


@router.post("/collections")
def create_collection(
    request: Request, viewer: ViewerDep, session: SessionDep,
    name: Annotated[str, Form(max_length=200)], kind: Annotated[CollectionKind, Form()],
    reference: Annotated[str, Form(max_length=120)] = "",
    description: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    form = {"name": name, "kind": kind, "reference": reference, "description": description}
    if not name.strip():
        return _collections_page(request, viewer, session, form=form,
                                 error="A collection needs a name.", status_code=422)
    try:
        collection = collections_service.create_collection(
            session=session, principal=viewer.principal, name=name, kind=kind,
            reference=reference.strip() or None, description=description)
    except CaseworkError as exc:
        return _collections_page(request, viewer, session, form=form, error=exc.message,
                                 status_code=exc.status_code)
    return see_other(f"/collections/{collection.id}")


@router.get("/collections/{collection_id}", response_class=HTMLResponse)
def collection_page(
    request: Request, collection_id: str, viewer: ViewerDep, session: ReadSessionDep,
    runtime: RuntimeDep,
    status: Annotated[str, Query(pattern="^(|queued|processing|ready|failed)$")] = "",
    tag: Annotated[str, Query(max_length=64)] = "",
    view: Annotated[str, Query(pattern="^(list|gallery)$")] = "list",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    workspace_id = viewer.principal.workspace_id
    collection = collections_service.get_collection(session=session, workspace_id=workspace_id,
                                                    collection_id=collection_id)
    # Empty select values arrive as "": they mean "any".
    filters = documents_service.DocumentFilters(
        collection_id=collection.id, status=DocumentStatus(status) if status else None,
        tag=tag or None)
    rows, total = documents_service.list_documents(session=session, workspace_id=workspace_id,
                                                   filters=filters, limit=PAGE_SIZE,
                                                   offset=offset)
    tags = tags_service.document_tags(session=session, workspace_id=workspace_id,
                                      document_ids=[d.id for d in rows])
    thumbnails = {d.id: GalleryItem.build(d).thumbnail_url for d in rows}
    params = {k: v for k, v in {"status": status, "tag": tag, "view": view}.items() if v}
    reports, _ = reports_service.list_reports(session=session, workspace_id=workspace_id,
                                              collection_id=collection.id, limit=5, offset=0)
    exports, _ = exports_service.list_exports(session=session, workspace_id=workspace_id,
                                              collection_id=collection.id, limit=5, offset=0)
    return render(
        request, viewer, "collection.html", nav="collections", collection=collection,
        reports=reports, exports=exports, can_export=viewer.principal.can(Permission.write),
        saved_questions=saved_questions.list_saved_questions(
            session=session, workspace_id=workspace_id, collection_id=collection.id),
        holds=holds_service.collection_holds(session=session, workspace_id=workspace_id,
                                             collection_id=collection.id),
        documents=rows, total=total, tags=tags, offset=offset, view=view, thumbnails=thumbnails,
        filters={"status": status, "tag": tag},
        all_tags=tags_service.list_tags(session=session, workspace_id=workspace_id),
        max_upload_bytes=runtime.settings.max_upload_bytes,
        ingest=progress_panel.panel(session=session, runtime=runtime, workspace_id=workspace_id,
                                    collection_id=collection.id),
        share_max_days=runtime.settings.share_max_days,
        query_prev=urlencode({**params, "offset": max(offset - PAGE_SIZE, 0)}),
        query_next=urlencode({**params, "offset": offset + PAGE_SIZE}))


@router.post("/collections/{collection_id}/edit")
def edit_collection(
    collection_id: str, viewer: ViewerDep, session: SessionDep,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    kind: Annotated[CollectionKind, Form()],
    reference: Annotated[str, Form(max_length=120)] = "",
    description: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    collections_service.update_collection(
        session=session, principal=viewer.principal,
        collection_id=collection_id, changes={"name": name, "kind": kind,
                                              "reference": reference.strip() or None,
                                              "description": description})
    return see_other(f"/collections/{collection_id}")


# --- documents ---------------------------------------------------------------------------

@router.get("/documents/{document_id}", response_class=HTMLResponse)
def document_page(request: Request, document_id: str, viewer: ViewerDep,
                  session: ReadSessionDep, runtime: RuntimeDep,
                  page: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
                  start: Annotated[int | None, Query(ge=0, le=100_000_000)] = None,
                  end: Annotated[int | None, Query(ge=0, le=100_000_000)] = None) -> HTMLResponse:
    """`page` marks a page; `start` and `end` (a citation's offsets in that page's text)
    highlight the quoted passage, when they fit the page."""
    workspace_id = viewer.principal.workspace_id
    document = documents_service.view_document(session=session, runtime=runtime,
                                               principal=viewer.principal,
                                               document_id=document_id)
    collection = collections_service.get_collection(
        session=session, workspace_id=workspace_id, collection_id=document.collection_id)
    pages = documents_service.list_pages(session=session, workspace_id=workspace_id,
                                         document_id=document.id, limit=500, offset=0)
    tags = tags_service.document_tags(session=session, workspace_id=workspace_id,
                                      document_ids=[document.id])[document.id]
    metadata = sorted((k, v) for k, v in (document.metadata_json or {}).items()
                      if isinstance(v, str | int | float) and k != "chunks")
    media = GalleryItem.build(document)
    preview_url = media.preview_url
    if preview_url is None and (document.metadata_json or {}).get("poster"):
        preview_url = f"/api/v1/documents/{document.id}/poster"
    page_preview_base = (f"/api/v1/documents/{document.id}/pages"
                         if document.media_type == "application/pdf" else None)
    shown = next((p for p in pages if p.number == page), None)
    passage = ((start, end) if shown is not None and start is not None and end is not None
               and start < end <= len(shown.text) else None)
    custody = custody_service.custody_records(session=session, workspace_id=workspace_id,
                                              documents=[document])[document.id]
    suggestions = learning_service.list_suggestions(
        session=session, workspace_id=workspace_id, document_id=document.id)
    message = mail_service.message_of(session=session, workspace_id=workspace_id,
                                      document_id=document.id)
    coding = review_service.document_coding(session=session, workspace_id=workspace_id,
                                            document_id=document.id)
    near_duplicates = neardup_service.document_group(
        session=session, workspace_id=workspace_id, document_id=document.id)
    coding_history, _ = review_service.history(session=session, workspace_id=workspace_id,
                                               document_id=document.id, limit=10, offset=0)
    return render(request, viewer, "document.html", nav="collections", document=document,
                  collection=collection, pages=pages, tags=tags, metadata=metadata,
                  custody=custody, suggestions=suggestions, message=message, coding=coding,
                  coding_history=coding_history, near_duplicates=near_duplicates,
                  issues=[i for i, _ in review_service.list_issues(
                      session=session, workspace_id=workspace_id)],
                  holds=holds_service.holds_covering_document(
                      session=session, workspace_id=workspace_id, document_id=document.id),
                  can_write=viewer.principal.can(Permission.write),
                  highlight_page=page, passage=passage, preview_url=preview_url,
                  page_preview_base=page_preview_base,
                  share_max_days=runtime.settings.share_max_days,
                  **container_context(session=session, document=document),
                  **redaction_context(session=session, workspace_id=workspace_id,
                                      document=document))


@router.post("/documents/{document_id}/tags")
def set_document_tags(document_id: str, viewer: ViewerDep, session: SessionDep,
                      tags: Annotated[str, Form(max_length=2000)] = "") -> Response:
    documents_service.set_tags(session=session, principal=viewer.principal,
                               document_id=document_id, tags=split_tags(tags))
    return see_other(f"/documents/{document_id}")


@router.post("/documents/{document_id}/delete")
def delete_document(document_id: str, viewer: ViewerDep, session: SessionDep,
                    runtime: RuntimeDep) -> Response:
    document = documents_service.get_document(
        session=session, workspace_id=viewer.principal.workspace_id, document_id=document_id)
    collection_id = document.collection_id
    documents_service.delete_document(session=session, runtime=runtime,
                                      principal=viewer.principal, document_id=document_id)
    return see_other(f"/collections/{collection_id}")


