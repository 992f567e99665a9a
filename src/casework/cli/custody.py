"""`casework custody backfill`: MD5 and SHA-1 for documents stored before they were kept,
read once from the blob store (the originals stream through; nothing is re-processed)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from casework.cli.context import open_runtime, workspace_id
from casework.cli.options import load_cli_settings
from casework.core.database import transaction
from casework.custody import service as custody_service

app = typer.Typer(help="Chain of custody records.", no_args_is_help=True,
                  add_completion=False)
console = Console()


@app.callback()
def custody() -> None:
    """Chain of custody records (a group, so `backfill` keeps its name beside later ones)."""


@app.command("backfill")
def backfill(
    workspace: Annotated[str | None, typer.Option(
        "--workspace", "-w", help="Workspace slug (default: every workspace).")] = None,
    batch: Annotated[int, typer.Option(min=1, max=10_000,
                                       help="Documents per transaction.")] = 200,
) -> None:
    """Compute the missing MD5 and SHA-1 digests. Safe to stop and run again; exits 1 if an
    original is missing or no longer matches its SHA-256."""
    runtime = open_runtime(load_cli_settings())
    filled, missing, mismatched = 0, [], []
    try:
        ws_id = workspace_id(runtime, workspace) if workspace else None
        after = ""
        while True:
            with transaction(runtime.sessions) as session:
                report = custody_service.backfill_digests(
                    session=session, blobs=runtime.blobs, workspace_id=ws_id, limit=batch,
                    after_id=after)
            filled += report.filled
            missing += report.missing
            mismatched += report.mismatched
            if not report.last_id:
                break
            after = report.last_id
    finally:
        runtime.close()
    console.print(f"{filled} documents given MD5 and SHA-1")
    for document_id in missing:
        console.print(f"[red]{document_id}: original missing from the blob store[/red]")
    for document_id in mismatched:
        console.print(f"[red]{document_id}: original no longer matches its SHA-256[/red]")
    if missing or mismatched:
        raise typer.Exit(1)
