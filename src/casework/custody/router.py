"""Custody routes: a document's digests and every arrival of its bytes; a container's
members (what arrived from inside it)."""

from fastapi import APIRouter

from casework.api.deps import PrincipalDep, ReadSessionDep
from casework.api.pagination import PagingDep
from casework.custody import service
from casework.custody.schemas import ChildrenOut, CustodyOut, MemberOut, SkippedOut

router = APIRouter(tags=["documents"])


@router.get("/documents/{document_id}/custody", response_model=CustodyOut)
def get_custody(document_id: str, session: ReadSessionDep,
                principal: PrincipalDep) -> CustodyOut:
    """SHA-256, MD5 and SHA-1 of the original, and each arrival of those bytes (the first
    and every duplicate upload): file name, source path, custodian, collection, uploader,
    time. Metadata, not content: not a `document.view`."""
    return CustodyOut.build(service.custody_record(
        session=session, workspace_id=principal.workspace_id, document_id=document_id))


@router.get("/documents/{document_id}/children", response_model=ChildrenOut)
def list_children(document_id: str, session: ReadSessionDep, principal: PrincipalDep,
                  paging: PagingDep) -> ChildrenOut:
    """The members of an archive (or an e-mail's attachments) that became documents, by
    their path inside it, and the members skipped with a stable code and a reason.
    Metadata, not content: not a `document.view`."""
    container, members, total = service.container_members(
        session=session, workspace_id=principal.workspace_id, document_id=document_id,
        limit=paging.limit, offset=paging.offset)
    summary = (container.metadata_json or {}).get("container") or {}
    return ChildrenOut(
        document_id=container.id, members=int(summary.get("members", 0)),
        items=[MemberOut.build(m) for m in members], total=total, limit=paging.limit,
        offset=paging.offset,
        skipped=[SkippedOut(path=s["inner_path"], code=s["code"], reason=s["reason"])
                 for s in summary.get("skipped", [])],
        skipped_count=int(summary.get("skipped_count", 0)))
