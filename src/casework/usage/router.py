"""Usage analytics of the caller's workspace, for its admins and owners."""

from typing import Annotated

from fastapi import APIRouter, Query

from casework.api.deps import CanReadUsage, ReadSessionDep, RuntimeDep
from casework.usage import service
from casework.usage.schemas import UsageOut

router = APIRouter(tags=["usage"])


@router.get("/usage", response_model=UsageOut)
def usage(session: ReadSessionDep, runtime: RuntimeDep, principal: CanReadUsage,
          days: Annotated[int, Query(ge=1, le=service.MAX_DAYS)] = 30) -> UsageOut:
    """Per UTC day over the last `days` (today included): documents added, bytes stored,
    searches and questions with average and p95 times, active users; popular terms and
    tags of the period."""
    return UsageOut.build(service.usage_report(
        session=session, workspace_id=principal.workspace_id, days=days, meter=runtime.usage,
        term_min_people=runtime.settings.usage_term_min_users))
