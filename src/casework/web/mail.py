"""The thread page: an e-mail conversation's messages in the order they were sent, each
quoted with its sender, date and subject, its text, its attachments and the copies of it
found in other mailboxes; linked from each message's document page and from the list of a
collection's threads (docs/mail.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from casework.api.deps import ReadSessionDep, RuntimeDep
from casework.collections import service as collections_service
from casework.documents import service as documents_service
from casework.mail import service as mail_service
from casework.web.deps import ViewerDep
from casework.web.router import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100


@router.get("/threads/{thread_id}", response_class=HTMLResponse)
def thread_page(request: Request, thread_id: str, viewer: ViewerDep, session: ReadSessionDep,
                runtime: RuntimeDep) -> HTMLResponse:
    """Each message shown is audited as `document.view`, as opening it would be."""
    workspace_id = viewer.principal.workspace_id
    view = mail_service.get_thread(session=session, workspace_id=workspace_id,
                                   thread_id=thread_id)
    bodies = mail_service.message_texts(session=session, workspace_id=workspace_id,
                                        document_ids=[m.document.id for m in view.messages])
    for item in view.messages:
        documents_service.record_view(runtime=runtime, principal=viewer.principal,
                                      document=item.document)
    return render(request, viewer, "thread.html", nav="collections", view=view,
                  bodies=bodies)


@router.get("/collections/{collection_id}/threads", response_class=HTMLResponse)
def threads_page(request: Request, collection_id: str, viewer: ViewerDep,
                 session: ReadSessionDep,
                 offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> HTMLResponse:
    """The collection's e-mail threads, latest message first."""
    workspace_id = viewer.principal.workspace_id
    collection = collections_service.get_collection(session=session, workspace_id=workspace_id,
                                                    collection_id=collection_id)
    page = mail_service.list_threads(session=session, workspace_id=workspace_id,
                                     collection_id=collection.id, limit=PAGE_SIZE,
                                     offset=offset)
    return render(request, viewer, "threads.html", nav="collections", collection=collection,
                  threads=page.threads, total=page.total, offset=offset, page_size=PAGE_SIZE)
