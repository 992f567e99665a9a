"""`casework timeline` without a server: the timeline read in this process, in the API's
own shape (`TimelineOut`), so cli/timeline.py prints one way whichever side answered."""

from __future__ import annotations

from datetime import date
from typing import Any

import typer

from casework.cli.context import open_runtime, workspace_id
from casework.cli.options import err_console
from casework.collections import service as collections_service
from casework.core.database import transaction
from casework.core.errors import CaseworkError
from casework.core.settings import Settings
from casework.timeline import service as timeline_service
from casework.timeline.schemas import TimelineEventOut, TimelineOut
from casework.workspaces import service as workspaces_service


def timeline_in_process(settings: Settings, *, collection: str, params: dict[str, Any],
                        workspace: str | None) -> dict[str, Any]:
    """The API's JSON answer, computed here; a refusal is a red line and exit 1."""
    runtime = open_runtime(settings)
    try:
        ws_id = workspace_id(runtime, workspace or workspaces_service.DEFAULT_SLUG)
        with transaction(runtime.read_sessions) as session:
            named = collections_service.find_collection_by_name(
                session=session, workspace_id=ws_id, name=collection)
            try:
                page = timeline_service.collection_timeline_page(
                    session=session, workspace_id=ws_id,
                    collection_id=named.id if named else collection,
                    entity_id=params.get("entity"),
                    date_from=date.fromisoformat(params["from"]) if "from" in params else None,
                    date_to=date.fromisoformat(params["to"]) if "to" in params else None,
                    limit=params["limit"], offset=params["offset"])
            except CaseworkError as exc:
                err_console.print(f"[red]{exc.message}[/red]")
                raise typer.Exit(1) from None
    finally:
        runtime.close()
    return TimelineOut(events=[TimelineEventOut.build(e) for e in page.events],
                       total=page.total, limit=params["limit"],
                       offset=params["offset"]).model_dump(mode="json")
