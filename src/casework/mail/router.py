"""E-mail thread routes: a collection's (or the workspace's) threads, and one thread."""

from typing import Annotated

from fastapi import APIRouter, Query

from casework.api.deps import PrincipalDep, ReadSessionDep
from casework.api.pagination import PagingDep
from casework.collections import service as collections_service
from casework.mail import service
from casework.mail.schemas import ThreadDetailOut, ThreadOut, ThreadPageOut

router = APIRouter(prefix="/threads", tags=["mail"])


@router.get("", response_model=ThreadPageOut)
def list_threads(
    session: ReadSessionDep, principal: PrincipalDep, paging: PagingDep,
    collection_id: Annotated[str | None, Query(max_length=64, description=(
        "Keep the threads with a message in this collection."))] = None,
) -> ThreadPageOut:
    """Threads, latest message first."""
    if collection_id is not None:
        collections_service.get_collection(session=session,
                                           workspace_id=principal.workspace_id,
                                           collection_id=collection_id)
    page = service.list_threads(session=session, workspace_id=principal.workspace_id,
                                collection_id=collection_id, limit=paging.limit,
                                offset=paging.offset)
    return ThreadPageOut(items=[ThreadOut.build(t) for t in page.threads], total=page.total,
                         limit=paging.limit, offset=paging.offset)


@router.get("/{thread_id}", response_model=ThreadDetailOut)
def get_thread(thread_id: str, session: ReadSessionDep,
               principal: PrincipalDep) -> ThreadDetailOut:
    """The thread's messages in the order they were sent, its participants, and each
    message's attachments and copies found in other mailboxes."""
    view = service.get_thread(session=session, workspace_id=principal.workspace_id,
                              thread_id=thread_id)
    return ThreadDetailOut.from_view(view)
