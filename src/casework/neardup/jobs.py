"""The find_near_duplicates job: a document's signature once its text is stored, matched
against the workspace's earlier documents in the job's one transaction."""

from __future__ import annotations

from casework.core.database import transaction
from casework.jobs.handlers import JobContext
from casework.neardup import service


def find_near_duplicates(ctx: JobContext) -> None:
    runtime = ctx.runtime
    with transaction(runtime.sessions) as session:
        service.index_document(session=session, workspace_id=ctx.workspace_id or "",
                               document_id=ctx.payload["document_id"],
                               threshold=runtime.settings.near_duplicate_threshold)
