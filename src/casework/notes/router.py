"""Note routes."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from casework.api.deps import PrincipalDep, ReadSessionDep, RuntimeDep, SessionDep
from casework.api.pagination import Page, PagingDep
from casework.notes import service
from casework.notes.schemas import NoteCreate, NoteOut, NoteUpdate
from casework.tags import service as tags_service

router = APIRouter(prefix="/notes", tags=["notes"])


@router.post("", response_model=NoteOut, status_code=status.HTTP_201_CREATED)
def create_note(body: NoteCreate, session: SessionDep, runtime: RuntimeDep,
                principal: PrincipalDep) -> NoteOut:
    note, tags = service.create_note(
        session=session, runtime=runtime, principal=principal, title=body.title,
        body=body.body, collection_id=body.collection_id, tags=body.tags)
    return NoteOut.build(note, tags)


@router.get("", response_model=Page[NoteOut])
def list_notes(session: ReadSessionDep, principal: PrincipalDep, paging: PagingDep,
               collection_id: Annotated[str | None, Query(max_length=64)] = None,
               tag: Annotated[str | None, Query(max_length=64)] = None) -> Page[NoteOut]:
    rows, total = service.list_notes(session=session, workspace_id=principal.workspace_id,
                                     collection_id=collection_id, tag=tag, limit=paging.limit,
                                     offset=paging.offset)
    tags = tags_service.note_tags(session=session, workspace_id=principal.workspace_id,
                                  note_ids=[n.id for n in rows])
    return Page(items=[NoteOut.build(n, tags[n.id]) for n in rows], total=total,
                limit=paging.limit, offset=paging.offset)


@router.get("/{note_id}", response_model=NoteOut)
def get_note(note_id: str, session: ReadSessionDep, principal: PrincipalDep) -> NoteOut:
    note = service.get_note(session=session, workspace_id=principal.workspace_id,
                            note_id=note_id)
    tags = tags_service.note_tags(session=session, workspace_id=principal.workspace_id,
                                  note_ids=[note.id])
    return NoteOut.build(note, tags[note.id])


@router.patch("/{note_id}", response_model=NoteOut)
def update_note(note_id: str, body: NoteUpdate, session: SessionDep, runtime: RuntimeDep,
                principal: PrincipalDep) -> NoteOut:
    note, tags = service.update_note(session=session, runtime=runtime, principal=principal,
                                     note_id=note_id,
                                     changes=body.model_dump(exclude_unset=True))
    return NoteOut.build(note, tags)


@router.delete("/{note_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_note(note_id: str, session: SessionDep, runtime: RuntimeDep,
                principal: PrincipalDep) -> Response:
    service.delete_note(session=session, runtime=runtime, principal=principal,
                        note_id=note_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
