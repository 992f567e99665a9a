"""Job routes: what the background work of this workspace is doing."""

from typing import Annotated

from fastapi import APIRouter, Query

from casework.api.deps import PrincipalDep, ReadSessionDep
from casework.api.ids import IntIdPath
from casework.api.pagination import PagingDep
from casework.jobs import service
from casework.jobs.models import JobStatus
from casework.jobs.schemas import JobOut

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("", response_model=list[JobOut])
def list_jobs(session: ReadSessionDep, principal: PrincipalDep, paging: PagingDep,
              status: Annotated[JobStatus | None, Query()] = None) -> list[JobOut]:
    jobs = service.list_jobs(session=session, workspace_id=principal.workspace_id,
                             status=status, limit=paging.limit, offset=paging.offset)
    return [JobOut.model_validate(j) for j in jobs]


@router.get("/{job_id}", response_model=JobOut)
def get_job(job_id: IntIdPath, session: ReadSessionDep, principal: PrincipalDep) -> JobOut:
    return JobOut.model_validate(
        service.get_job(session=session, workspace_id=principal.workspace_id, job_id=job_id))
