"""`casework progress` without a server, and the summary at the end of `casework ingest`:
progress and failures read in this process, in the API's own shapes, so one printer
serves whichever side answered (cli/progress.py)."""

from __future__ import annotations

from typing import Any

import typer

from casework.accounts.principal import Principal
from casework.cli.context import open_runtime, workspace_id
from casework.cli.options import err_console
from casework.collections import service as collections_service
from casework.core.database import transaction
from casework.core.errors import CaseworkError
from casework.core.origin import RequestOrigin
from casework.core.settings import Settings
from casework.progress import failures, service
from casework.progress.schemas import FailuresOut, ProgressOut, RetriedOut
from casework.runtime import Runtime
from casework.workspaces import service as workspaces_service


def read_progress(runtime: Runtime, scope: service.Scope, *,
                  failures_limit: int) -> dict[str, Any]:
    """{"progress": ProgressOut, "failures": FailuresOut} as the API would answer."""
    with transaction(runtime.read_sessions) as session:
        measured = service.measure(session=session, scope=scope,
                                   entity_extraction=runtime.settings.entity_extraction)
        rows, total = failures.list_failures(session=session, scope=scope,
                                             limit=failures_limit, offset=0)
    return {"progress": ProgressOut.build(scope, measured).model_dump(mode="json"),
            "failures": FailuresOut.build(rows, total, limit=failures_limit,
                                          offset=0).model_dump(mode="json")}


def progress_in_process(settings: Settings, *, collection: str | None, batch: str | None,
                        workspace: str | None, failures_limit: int,
                        retry_failed: bool) -> dict[str, Any]:
    """Progress of a collection (by name or id) or a batch, read here; with `retry_failed`,
    what failed is queued again first (audited as the CLI). A refusal is exit 1."""
    runtime = open_runtime(settings)
    try:
        ws_id = workspace_id(runtime, workspace or workspaces_service.DEFAULT_SLUG)
        try:
            scope = _scope(runtime, ws_id, collection=collection, batch=batch)
            retried = _retry(runtime, ws_id, scope) if retry_failed else None
        except CaseworkError as exc:
            err_console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from None
        answer = read_progress(runtime, scope, failures_limit=failures_limit)
    finally:
        runtime.close()
    if retried is not None:
        answer["retried"] = retried
    return answer


def _scope(runtime: Runtime, ws_id: str, *, collection: str | None,
           batch: str | None) -> service.Scope:
    with transaction(runtime.read_sessions) as session:
        if batch is not None:
            return service.batch_scope(session=session, workspace_id=ws_id, batch_id=batch)
        assert collection is not None
        named = collections_service.find_collection_by_name(
            session=session, workspace_id=ws_id, name=collection)
        return service.collection_scope(session=session, workspace_id=ws_id,
                                        collection_id=named.id if named else collection)


def _retry(runtime: Runtime, ws_id: str, scope: service.Scope) -> dict[str, Any]:
    principal = Principal(workspace_id=ws_id, user_id=None, role=None, label="cli",
                          origin=RequestOrigin.cli())
    with transaction(runtime.sessions) as session:
        retried = failures.retry_failed(session=session, runtime=runtime,
                                        principal=principal, scope=scope)
    return RetriedOut(**retried.as_dict()).model_dump(mode="json")
