"""Review on the web: the coding panel of the document page (its buttons post here) and
the workspace's issues page. The same service functions and permission as the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from casework.accounts.permissions import Permission
from casework.api.deps import ReadSessionDep, SessionDep
from casework.review import service as review_service
from casework.review.coding import MAX_BASIS, MAX_NOTE, CodingEdit
from casework.web.deps import ReaderDep, WriterDep
from casework.web.router import render

router = APIRouter(include_in_schema=False)
IdPath = Annotated[str, Path(max_length=64)]


@router.post("/documents/{document_id}/coding")
def code_document(
    document_id: IdPath, viewer: WriterDep, session: SessionDep,
    responsiveness: Annotated[str, Form(pattern="^(|responsive|not_responsive|"
                                                "needs_further_review|clear)$")] = "",
    hot: Annotated[str, Form(pattern="^(|yes|no)$")] = "",
    details: Annotated[str, Form(pattern="^(|1)$")] = "",
    privileged: Annotated[str, Form(max_length=8)] = "",
    privilege_basis: Annotated[str, Form(max_length=MAX_BASIS)] = "",
    issues: Annotated[list[str] | None, Form(max_length=100)] = None,
    note: Annotated[str, Form(max_length=MAX_NOTE)] = "",
) -> Response:
    """A call button sends `responsiveness` or `hot` alone; the details form sends
    `details=1` with privilege, issues (checked boxes) and note, which it replaces."""
    given: set[str] = set()
    if responsiveness:
        given.add("responsiveness")
    if hot:
        given.add("hot")
    if details:
        given |= {"privileged", "privilege_basis", "issues", "note"}
    edit = CodingEdit(
        given=frozenset(given),
        responsiveness=None if responsiveness in ("", "clear") else responsiveness,
        hot=hot == "yes", privileged=bool(privileged),
        privilege_basis=privilege_basis.strip() or None,
        issues=tuple(i for i in (issues or []) if i) if details else None,
        note=note.strip() or None)
    review_service.code_document(session=session, principal=viewer.principal,
                                 document_id=document_id, edit=edit)
    return RedirectResponse(f"/documents/{document_id}#coding", status_code=303)


@router.get("/review/issues", response_class=HTMLResponse)
def issues_page(request: Request, viewer: ReaderDep, session: ReadSessionDep) -> HTMLResponse:
    issues = review_service.list_issues(session=session,
                                        workspace_id=viewer.principal.workspace_id)
    return render(request, viewer, "review_issues.html", nav="search", issues=issues,
                  can_write=viewer.principal.can(Permission.write))


@router.post("/review/issues")
def create_issue(viewer: WriterDep, session: SessionDep,
                 name: Annotated[str, Form(min_length=1, max_length=100)]) -> Response:
    review_service.create_issue(session=session, principal=viewer.principal, name=name)
    return RedirectResponse("/review/issues", status_code=303)


@router.post("/review/issues/{issue_id}/rename")
def rename_issue(issue_id: IdPath, viewer: WriterDep, session: SessionDep,
                 name: Annotated[str, Form(min_length=1, max_length=100)]) -> Response:
    review_service.rename_issue(session=session, principal=viewer.principal,
                                issue_id=issue_id, name=name)
    return RedirectResponse("/review/issues", status_code=303)


@router.post("/review/issues/{issue_id}/delete")
def delete_issue(issue_id: IdPath, viewer: WriterDep, session: SessionDep) -> Response:
    review_service.delete_issue(session=session, principal=viewer.principal, issue_id=issue_id)
    return RedirectResponse("/review/issues", status_code=303)
