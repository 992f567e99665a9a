"""The notes pages: the list, the editor (new and existing), its Markdown preview, and the
form posts that create, save and delete a note through the notes service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse

from casework.api.deps import ReadSessionDep, RuntimeDep, SessionDep
from casework.collections import service as collections_service
from casework.notes import service as notes_service
from casework.tags import service as tags_service
from casework.web.deps import ReaderDep, Viewer, ViewerDep
from casework.web.router import render, see_other, split_tags
from casework.web.templating import render_markdown

router = APIRouter(include_in_schema=False)


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
                    tags=split_tags(tags))


NoteFormDep = Annotated[NoteForm, Depends(_note_form_fields)]


@router.post("/notes")
def create_note(viewer: ViewerDep, session: SessionDep, runtime: RuntimeDep,
                form: NoteFormDep) -> Response:
    note, _ = notes_service.create_note(
        session=session, runtime=runtime, principal=viewer.principal, title=form.title,
        body=form.body, collection_id=form.collection_id, tags=form.tags)
    return see_other(f"/notes/{note.id}")


@router.post("/notes/{note_id}")
def update_note(note_id: str, viewer: ViewerDep, session: SessionDep, runtime: RuntimeDep,
                form: NoteFormDep) -> Response:
    notes_service.update_note(
        session=session, runtime=runtime, principal=viewer.principal, note_id=note_id,
        changes={"title": form.title, "body": form.body, "collection_id": form.collection_id,
                 "tags": form.tags})
    return see_other(f"/notes/{note_id}")


@router.post("/notes/{note_id}/delete")
def delete_note(note_id: str, viewer: ViewerDep, session: SessionDep,
                runtime: RuntimeDep) -> Response:
    notes_service.delete_note(session=session, runtime=runtime, principal=viewer.principal,
                              note_id=note_id)
    return see_other("/notes")
