"""Web pages: collections, documents, search and notes. Thin: parse, call a service, render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from casework.api.deps import ReadSessionDep, RuntimeDep, SessionDep, cookie_secure
from casework.collections import service as collections_service
from casework.collections.models import CollectionKind
from casework.core.errors import CaseworkError, Forbidden
from casework.documents import service as documents_service
from casework.documents.models import DocumentStatus
from casework.entities import service as entities_service
from casework.media.schemas import GalleryItem
from casework.notes import service as notes_service
from casework.search import service as search_service
from casework.search.filters import SearchFilters
from casework.search.service import SearchMode
from casework.tags import service as tags_service
from casework.web.deps import (
    WORKSPACE_COOKIE,
    ReaderDep,
    Viewer,
    ViewerDep,
    Visitor,
    VisitorDep,
)
from casework.web.templating import build_templates, render_markdown

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


def _split_tags(raw: str) -> list[str]:
    return [t for t in (part.strip() for part in raw.split(",")) if t]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/")
def home() -> RedirectResponse:
    return _see_other("/collections")


@router.post("/workspace")
def switch_workspace(visitor: VisitorDep, runtime: RuntimeDep,
                     workspace: Annotated[str, Form(max_length=120)]) -> Response:
    """Only remembers the choice: every page re-applies that workspace's policies."""
    if workspace not in {w.slug for w in visitor.workspaces}:
        raise Forbidden("you are not a member of that workspace")
    response = _see_other("/collections")
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
            session=session, workspace_id=viewer.principal.workspace_id, name=name, kind=kind,
            reference=reference.strip() or None, description=description)
    except CaseworkError as exc:
        return _collections_page(request, viewer, session, form=form, error=exc.message,
                                 status_code=exc.status_code)
    return _see_other(f"/collections/{collection.id}")


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
    return render(
        request, viewer, "collection.html", nav="collections", collection=collection,
        documents=rows, total=total, tags=tags, offset=offset, view=view, thumbnails=thumbnails,
        filters={"status": status, "tag": tag},
        all_tags=tags_service.list_tags(session=session, workspace_id=workspace_id),
        max_upload_bytes=runtime.settings.max_upload_bytes,
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
        session=session, workspace_id=viewer.principal.workspace_id,
        collection_id=collection_id, changes={"name": name, "kind": kind,
                                              "reference": reference.strip() or None,
                                              "description": description})
    return _see_other(f"/collections/{collection_id}")


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
    return render(request, viewer, "document.html", nav="collections", document=document,
                  collection=collection, pages=pages, tags=tags, metadata=metadata,
                  highlight_page=page, passage=passage, preview_url=preview_url,
                  page_preview_base=page_preview_base)


@router.post("/documents/{document_id}/tags")
def set_document_tags(document_id: str, viewer: ViewerDep, session: SessionDep,
                      tags: Annotated[str, Form(max_length=2000)] = "") -> Response:
    documents_service.set_tags(session=session, workspace_id=viewer.principal.workspace_id,
                               document_id=document_id, tags=_split_tags(tags))
    return _see_other(f"/documents/{document_id}")


@router.post("/documents/{document_id}/delete")
def delete_document(document_id: str, viewer: ViewerDep, session: SessionDep,
                    runtime: RuntimeDep) -> Response:
    document = documents_service.get_document(
        session=session, workspace_id=viewer.principal.workspace_id, document_id=document_id)
    collection_id = document.collection_id
    documents_service.delete_document(session=session, runtime=runtime,
                                      principal=viewer.principal, document_id=document_id)
    return _see_other(f"/collections/{collection_id}")


# --- search ------------------------------------------------------------------------------

@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request, viewer: ViewerDep, session: ReadSessionDep, runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=1000)] = "",
    mode: SearchMode = SearchMode.hybrid,
    collection_id: Annotated[str, Query(max_length=64)] = "",
    type: Annotated[str, Query(max_length=127)] = "",
    entity: Annotated[str, Query(max_length=64)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> HTMLResponse:
    """`entity` keeps the documents that mention it; the entities most of a page's hit
    documents mention are offered as such filters (facets)."""
    workspace_id = viewer.principal.workspace_id
    collections, _ = collections_service.list_collections(
        session=session, workspace_id=workspace_id, kind=None, limit=500, offset=0)
    chosen = entities_service.get_entity(session=session, workspace_id=workspace_id,
                                         entity_id=entity) if entity else None
    context: dict[str, object] = {"q": q, "mode": mode, "collection_id": collection_id,
                                  "type": type, "collections": collections, "hits": [],
                                  "collections_found": [], "warnings": [], "offset": offset,
                                  "error": None, "entity": chosen, "facets": []}
    if q.strip():
        try:
            result = search_service.search(
                session=session, runtime=runtime, workspace_id=workspace_id, text=q, mode=mode,
                filters=SearchFilters(collection_id=collection_id or None,
                                      media_type=type or None,
                                      entity_id=chosen.id if chosen else None),
                limit=20, offset=offset)
        except CaseworkError as exc:
            context["error"] = exc.message
        else:
            runtime.usage.record_query(workspace_id, result.took_ms)
            params = {"q": q, "mode": mode, "collection_id": collection_id, "type": type,
                      "entity": entity}
            facets = entities_service.entity_facets(
                session=session, workspace_id=workspace_id,
                document_ids=[h.document_id for h in result.hits if h.document_id])
            context.update(hits=result.hits, collections_found=result.collections,
                           warnings=result.warnings, facets=facets,
                           query_base=urlencode({k: v for k, v in params.items()
                                                 if k != "entity"}),
                           has_more=result.has_more, took_ms=result.took_ms,
                           query_prev=urlencode({**params, "offset": max(offset - 20, 0)}),
                           query_next=urlencode({**params, "offset": offset + 20}))
    return render(request, viewer, "search.html", nav="search", **context)


# --- notes -------------------------------------------------------------------------------

@router.get("/notes", response_class=HTMLResponse)
def notes_page(request: Request, viewer: ViewerDep, session: ReadSessionDep) -> HTMLResponse:
    workspace_id = viewer.principal.workspace_id
    rows, _ = notes_service.list_notes(session=session, workspace_id=workspace_id,
                                       collection_id=None, tag=None, limit=200, offset=0)
    tags = tags_service.note_tags(session=session, workspace_id=workspace_id,
                                  note_ids=[n.id for n in rows])
    return render(request, viewer, "notes.html", nav="notes", notes=rows, tags=tags)


def _note_form(request: Request, viewer: Viewer, session: ReadSessionDep, note_id: str | None,
               error: str | None = None, status_code: int = 200) -> HTMLResponse:
    workspace_id = viewer.principal.workspace_id
    note = tags = None
    if note_id:
        note = notes_service.get_note(session=session, workspace_id=workspace_id,
                                      note_id=note_id)
        tags = tags_service.note_tags(session=session, workspace_id=workspace_id,
                                      note_ids=[note.id])[note.id]
    collections, _ = collections_service.list_collections(
        session=session, workspace_id=workspace_id, kind=None, limit=500, offset=0)
    return render(request, viewer, "note_edit.html", status_code, nav="notes", note=note,
                  tags=tags or [], collections=collections, error=error,
                  rendered=render_markdown(note.body if note else ""))


@router.get("/notes/new", response_class=HTMLResponse)
def new_note_page(request: Request, viewer: ViewerDep, session: ReadSessionDep) -> HTMLResponse:
    return _note_form(request, viewer, session, None)


@router.get("/notes/{note_id}", response_class=HTMLResponse)
def note_page(request: Request, note_id: str, viewer: ViewerDep,
              session: ReadSessionDep) -> HTMLResponse:
    return _note_form(request, viewer, session, note_id)


@router.post("/notes/preview", response_class=HTMLResponse)
def preview_note(viewer: ReaderDep,
                 body: Annotated[str, Form(max_length=1_000_000)] = "") -> HTMLResponse:
    del viewer  # signed in, allowed into the workspace, CSRF checked
    return HTMLResponse(render_markdown(body))


@dataclass(frozen=True, slots=True)
class NoteForm:
    title: str
    body: str
    collection_id: str | None  # the select's empty value means "no collection"
    tags: list[str]


def _note_form_fields(
    title: Annotated[str, Form(min_length=1, max_length=300)],
    body: Annotated[str, Form(max_length=1_000_000)] = "",
    collection_id: Annotated[str, Form(max_length=64)] = "",
    tags: Annotated[str, Form(max_length=2000)] = "",
) -> NoteForm:
    """The note editor's fields, read the same way whether it creates or saves a note."""
    return NoteForm(title=title, body=body, collection_id=collection_id or None,
                    tags=_split_tags(tags))


NoteFormDep = Annotated[NoteForm, Depends(_note_form_fields)]


@router.post("/notes")
def create_note(viewer: ViewerDep, session: SessionDep, runtime: RuntimeDep,
                form: NoteFormDep) -> Response:
    note, _ = notes_service.create_note(
        session=session, runtime=runtime, principal=viewer.principal, title=form.title,
        body=form.body, collection_id=form.collection_id, tags=form.tags)
    return _see_other(f"/notes/{note.id}")


@router.post("/notes/{note_id}")
def update_note(note_id: str, viewer: ViewerDep, session: SessionDep, runtime: RuntimeDep,
                form: NoteFormDep) -> Response:
    notes_service.update_note(
        session=session, runtime=runtime, principal=viewer.principal, note_id=note_id,
        changes={"title": form.title, "body": form.body, "collection_id": form.collection_id,
                 "tags": form.tags})
    return _see_other(f"/notes/{note_id}")


@router.post("/notes/{note_id}/delete")
def delete_note(note_id: str, viewer: ViewerDep, session: SessionDep,
                runtime: RuntimeDep) -> Response:
    notes_service.delete_note(session=session, runtime=runtime, principal=viewer.principal,
                              note_id=note_id)
    return _see_other("/notes")
