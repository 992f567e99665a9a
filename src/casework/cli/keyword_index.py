"""`casework keyword-index ...`: the tantivy keyword index (KEYWORD_ENGINE=tantivy).

The index is derived from the database, so repairing it is rebuilding it: after a restore,
a copied DATA_DIR, a damaged disk, or to reclaim space. A running server also rebuilds a
missing or unreadable index by itself; this command is for when none runs (tantivy lets
one process write an index, and a server holds its writers). On PostgreSQL it rebuilds
this DATA_DIR's indexes only: every machine keeps its own.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select

from casework.cli.context import open_runtime, workspace_id
from casework.cli.options import err_console, load_cli_settings
from casework.core.database import transaction
from casework.search.tantivy_index import TantivyKeywordIndex
from casework.workspaces.models import Workspace

app = typer.Typer(help="The tantivy keyword index (KEYWORD_ENGINE=tantivy).",
                  no_args_is_help=True, add_completion=False)
console = Console()


@app.callback()
def keyword_index() -> None:
    """The tantivy keyword index (KEYWORD_ENGINE=tantivy)."""


@app.command("rebuild")
def rebuild(
    workspace: Annotated[str | None, typer.Option(
        "--workspace", "-w", help="Workspace slug; default: every workspace.")] = None,
) -> None:
    """Rebuild the keyword index of one workspace (or all) from the database."""
    settings = load_cli_settings()
    if not settings.uses_tantivy:
        err_console.print("[red]KEYWORD_ENGINE is not tantivy: the keyword index is in the "
                          "database and needs no rebuild[/red]")
        raise typer.Exit(1)
    runtime = open_runtime(settings)
    try:
        index = runtime.keyword_index
        assert isinstance(index, TantivyKeywordIndex)
        if workspace is not None:
            ids = [workspace_id(runtime, workspace)]
        else:
            with transaction(runtime.read_sessions) as session:
                ids = list(session.scalars(select(Workspace.id).order_by(Workspace.id)))
        for ws in ids:
            started = time.perf_counter()
            try:
                count = index.rebuild(ws)
            except RuntimeError as exc:
                err_console.print(f"[red]{exc}: stop the server first (it rebuilds a "
                                  "missing index itself)[/red]")
                raise typer.Exit(1) from None
            console.print(f"workspace {ws}: {count} chunks indexed in "
                          f"{time.perf_counter() - started:.1f} s")
    finally:
        runtime.close()
