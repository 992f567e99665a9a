"""Near-duplicate routes: a collection's (or the workspace's) groups, and the backfill that
signs the documents stored before near-duplicates existed (admins)."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from casework.api.deps import (
    CanManageWorkspace,
    PrincipalDep,
    ReadSessionDep,
    RuntimeDep,
    SettingsDep,
)
from casework.collections import service as collections_service
from casework.neardup import backfill, service
from casework.neardup.schemas import BackfillOut, GroupOut, NearDuplicatesOut

router = APIRouter(tags=["near-duplicates"])


@router.get("/near-duplicates", response_model=NearDuplicatesOut)
def near_duplicates(
    session: ReadSessionDep, principal: PrincipalDep, settings: SettingsDep,
    collection_id: Annotated[str | None, Query(max_length=64, description="Groups with a "
                                               "member in this collection")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_GROUPS)] = service.GROUPS_PAGE,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> NearDuplicatesOut:
    """Groups of documents whose text is nearly the same, largest first; a document's own
    group is in GET /documents/{id} (`near_duplicates`)."""
    if collection_id is not None:
        collections_service.get_collection(session=session, workspace_id=principal.workspace_id,
                                           collection_id=collection_id)
    groups, total = service.list_groups(session=session, workspace_id=principal.workspace_id,
                                        collection_id=collection_id, limit=limit,
                                        offset=offset)
    return NearDuplicatesOut(threshold=settings.near_duplicate_threshold,
                             groups=[GroupOut.build(g) for g in groups], total=total,
                             limit=limit, offset=offset)


@router.post("/near-duplicates/backfill", response_model=BackfillOut,
             status_code=status.HTTP_202_ACCEPTED)
def backfill_near_duplicates(runtime: RuntimeDep, principal: CanManageWorkspace
                             ) -> BackfillOut:
    """Queue the near-duplicate job for each of the workspace's ready documents without a
    signature (stored before near-duplicates existed, or whose job failed): admins.
    Committed a batch at a time (NEAR_DUPLICATE_BACKFILL_BATCH); a document already
    waiting for its job is skipped, so a second call queues nothing twice. Audited as
    `neardup.backfill`; the groups appear as the jobs run."""
    return BackfillOut(queued=backfill.backfill_signatures(runtime=runtime,
                                                           principal=principal))
