"""Tag suggestions on the document page: Accept and Reject as plain form posts.

The same service functions as the API (`learning.service`), behind the same permission:
the web's `Allow(Permission.write)` and the API's `Require(Permission.write)` both end in
`accounts.policy.authorize`, so a viewer is refused here exactly as on the API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from fastapi.responses import RedirectResponse

from casework.api.deps import SessionDep
from casework.learning import service as learning_service
from casework.web.deps import WriterDep

router = APIRouter(include_in_schema=False)
IdPath = Annotated[str, Path(max_length=64)]


def _back_to(document_id: str) -> RedirectResponse:
    return RedirectResponse(f"/documents/{document_id}#suggestions", status_code=303)


@router.post("/documents/{document_id}/suggestions/{suggestion_id}/accept")
def accept_suggestion(document_id: IdPath, suggestion_id: IdPath, viewer: WriterDep,
                      session: SessionDep) -> Response:
    learning_service.accept_suggestion(session=session, principal=viewer.principal,
                                       document_id=document_id, suggestion_id=suggestion_id)
    return _back_to(document_id)


@router.post("/documents/{document_id}/suggestions/{suggestion_id}/reject")
def reject_suggestion(document_id: IdPath, suggestion_id: IdPath, viewer: WriterDep,
                      session: SessionDep) -> Response:
    learning_service.reject_suggestion(session=session, principal=viewer.principal,
                                       document_id=document_id, suggestion_id=suggestion_id)
    return _back_to(document_id)
