"""Review routes: issues, a document's coding and history, batch coding."""


from fastapi import APIRouter, Response, status
from starlette.concurrency import run_in_threadpool

from casework.api.deps import PrincipalDep, ReadSessionDep, RuntimeDep, SessionDep
from casework.api.pagination import Page, PagingDep
from casework.entities import service as entities_service
from casework.review import batch, service
from casework.review.schemas import (
    BatchCoding,
    BatchOut,
    CodingOut,
    CodingUpdate,
    HistoryOut,
    IssueIn,
    IssueOut,
)
from casework.search.filters import SearchFilters

router = APIRouter(prefix="/review", tags=["review"])


@router.get("/issues", response_model=list[IssueOut])
def list_issues(session: ReadSessionDep, principal: PrincipalDep) -> list[IssueOut]:
    return [IssueOut.build(issue, count) for issue, count in service.list_issues(
        session=session, workspace_id=principal.workspace_id)]


@router.post("/issues", response_model=IssueOut, status_code=status.HTTP_201_CREATED)
def create_issue(body: IssueIn, session: SessionDep, principal: PrincipalDep) -> IssueOut:
    return IssueOut.build(service.create_issue(session=session, principal=principal,
                                               name=body.name), 0)


@router.patch("/issues/{issue_id}", response_model=IssueOut)
def rename_issue(issue_id: str, body: IssueIn, session: SessionDep,
                 principal: PrincipalDep) -> IssueOut:
    issue = service.rename_issue(session=session, principal=principal, issue_id=issue_id,
                                 name=body.name)
    counts = dict((i.id, n) for i, n in service.list_issues(
        session=session, workspace_id=principal.workspace_id))
    return IssueOut.build(issue, counts.get(issue.id, 0))


@router.delete("/issues/{issue_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_issue(issue_id: str, session: SessionDep, principal: PrincipalDep) -> Response:
    """Takes the issue off its documents (each change in their history)."""
    service.delete_issue(session=session, principal=principal, issue_id=issue_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/documents/{document_id}", response_model=CodingOut)
def get_coding(document_id: str, session: ReadSessionDep, principal: PrincipalDep) -> CodingOut:
    return CodingOut.build(service.document_coding(
        session=session, workspace_id=principal.workspace_id, document_id=document_id))


@router.patch("/documents/{document_id}", response_model=CodingOut)
def code_document(document_id: str, body: CodingUpdate, session: SessionDep,
                  principal: PrincipalDep) -> CodingOut:
    """Changes the fields sent; each change is a history row and the request one
    `document.code` audit event."""
    return CodingOut.build(service.code_document(session=session, principal=principal,
                                                 document_id=document_id,
                                                 edit=body.to_edit()))


@router.get("/documents/{document_id}/history", response_model=Page[HistoryOut])
def coding_history(document_id: str, session: ReadSessionDep, principal: PrincipalDep,
                   paging: PagingDep) -> Page[HistoryOut]:
    rows, total = service.history(session=session, workspace_id=principal.workspace_id,
                                  document_id=document_id, limit=paging.limit,
                                  offset=paging.offset)
    return Page(items=[HistoryOut.model_validate(r) for r in rows], total=total,
                limit=paging.limit, offset=paging.offset)


@router.post("/batch", response_model=BatchOut)
async def batch_code(body: BatchCoding, session: SessionDep, runtime: RuntimeDep,
                     principal: PrincipalDep) -> BatchOut:
    """One coding for listed documents or every document a search matches (keyword
    matching of `q`, and the filters), up to REVIEW_BATCH_MAX, all or nothing."""
    filters, text = None, None
    if body.search is not None:
        search = body.search
        entity_id = None
        if search.entity is not None:  # a merged entity's id stands for its survivor
            entity_id = entities_service.get_entity(
                session=session, workspace_id=principal.workspace_id, entity_id=search.entity).id
        filters = SearchFilters(
            collection_id=search.collection_id, tag=search.tag, media_type=search.type,
            entity_id=entity_id, responsiveness=search.responsiveness,
            privileged=search.privileged, hot=search.hot, issue=search.issue)
        text = search.q
    result = await run_in_threadpool(
        batch.batch_code, session=session, runtime=runtime, principal=principal,
        edit=body.coding.to_edit(), document_ids=body.document_ids, text=text, filters=filters)
    return BatchOut(batch_id=result.batch_id, matched=result.matched, changed=result.changed,
                    warnings=result.warnings)


