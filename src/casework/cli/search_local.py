"""`casework search` without a server: the whole search stack in this process.

It answers in the API's own shape (`SearchOut`), so cli/search.py prints one table whichever
side searched.
"""

from __future__ import annotations

from typing import Any

import typer

from casework.cli.context import open_runtime, workspace_id
from casework.cli.options import err_console
from casework.core.database import transaction
from casework.core.errors import CaseworkError
from casework.core.settings import Settings
from casework.search import service as search_service
from casework.search.filters import SearchFilters
from casework.search.schemas import SearchOut
from casework.search.service import SearchMode
from casework.workspaces import service as workspaces_service


def search_in_process(settings: Settings, *, query: str, mode: str, limit: int,
                      collection_id: str | None, workspace: str | None) -> dict[str, Any]:
    """The API's JSON answer, computed here; a refusal is a red line and exit 1."""
    runtime = open_runtime(settings)
    try:
        ws_id = workspace_id(runtime, workspace or workspaces_service.DEFAULT_SLUG)
        with transaction(runtime.read_sessions) as session:
            try:
                result = search_service.search(
                    session=session, runtime=runtime, workspace_id=ws_id, text=query,
                    mode=SearchMode(mode), filters=SearchFilters(collection_id=collection_id),
                    limit=limit, offset=0)
            except CaseworkError as exc:
                err_console.print(f"[red]{exc.message}[/red]")
                raise typer.Exit(1) from None
    finally:
        runtime.close()
    return SearchOut.build(result, limit=limit, offset=0).model_dump(mode="json")
