"""Tag suggestions on a document (read, accept, reject) and the daily runs (admins)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from casework.accounts.permissions import Permission
from casework.accounts.principal import Principal
from casework.api.deps import PrincipalDep, ReadSessionDep, Require, SessionDep
from casework.learning import service
from casework.learning.schemas import LearningRunOut, SuggestionOut

router = APIRouter(tags=["learning"])
CanWrite = Annotated[Principal, Depends(Require(Permission.write))]
CanManageWorkspace = Annotated[Principal, Depends(Require(Permission.manage_workspace))]
IdPath = Annotated[str, Path(max_length=64)]


@router.get("/documents/{document_id}/suggestions", response_model=list[SuggestionOut])
def list_suggestions(document_id: IdPath, session: ReadSessionDep,
                     principal: PrincipalDep) -> list[SuggestionOut]:
    """Pending tags the newest model proposes for the document, most confident first."""
    return [SuggestionOut.model_validate(s) for s in service.list_suggestions(
        session=session, workspace_id=principal.workspace_id, document_id=document_id)]


@router.post("/documents/{document_id}/suggestions/{suggestion_id}/accept",
             response_model=SuggestionOut)
def accept_suggestion(document_id: IdPath, suggestion_id: IdPath, session: SessionDep,
                      principal: CanWrite) -> SuggestionOut:
    return SuggestionOut.model_validate(service.accept_suggestion(
        session=session, principal=principal, document_id=document_id,
        suggestion_id=suggestion_id))


@router.post("/documents/{document_id}/suggestions/{suggestion_id}/reject",
             response_model=SuggestionOut)
def reject_suggestion(document_id: IdPath, suggestion_id: IdPath, session: SessionDep,
                      principal: CanWrite) -> SuggestionOut:
    return SuggestionOut.model_validate(service.reject_suggestion(
        session=session, principal=principal, document_id=document_id,
        suggestion_id=suggestion_id))


@router.get("/learning/runs", response_model=list[LearningRunOut])
def list_runs(session: ReadSessionDep, principal: CanManageWorkspace,
              limit: Annotated[int, Query(ge=1, le=200)] = 30) -> list[LearningRunOut]:
    """The workspace's daily runs, newest first, with their metrics (admins)."""
    return [LearningRunOut.model_validate(r) for r in service.list_runs(
        session=session, workspace_id=principal.workspace_id, limit=limit)]
