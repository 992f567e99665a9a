"""`casework neardup backfill`: sign the documents stored before near-duplicates existed
(or whose job failed), through the same service as the API, audited as the command."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.console import Console

from casework.accounts.principal import Principal
from casework.bootstrap import build_runtime, prepare
from casework.cli.context import workspace_id
from casework.cli.options import load_cli_settings
from casework.core.database import transaction
from casework.neardup import backfill
from casework.workspaces import service as workspaces_service

app = typer.Typer(help="Near-duplicate groups.", no_args_is_help=True, add_completion=False)
console = Console()


@app.callback()
def neardup() -> None:
    """Near-duplicate groups (a group, so `backfill` keeps its name beside later ones)."""


@app.command("backfill")
def backfill_command(
    workspace: Annotated[str | None, typer.Option(
        "--workspace", "-w", help="Workspace slug (default: every workspace).")] = None,
    batch: Annotated[int | None, typer.Option(
        min=1, max=backfill.MAX_BATCH, help="Documents queued per transaction (default: "
        "NEAR_DUPLICATE_BACKFILL_BATCH).")] = None,
) -> None:
    """Queue the near-duplicate job for every ready document without a signature.

    Safe to stop and run again: what was queued stays queued, and a document already
    waiting for its job is not queued twice. The server's workers sign them.
    """
    runtime = build_runtime(load_cli_settings())
    try:
        # Every start queues them for every workspace (neardup/backfill.py), this
        # command's own start included: what that queued counts as queued by it.
        at_start = prepare(runtime).signing
        if workspace is not None:
            ws_ids = [workspace_id(runtime, workspace)]
        else:
            with transaction(runtime.read_sessions) as session:
                ws_ids = [w.id for w in workspaces_service.list_workspaces(session=session)]
        label = _label()
        queued = sum(at_start.get(ws_id, 0) + backfill.backfill_signatures(
            runtime=runtime, principal=Principal.command(ws_id, label), batch_size=batch)
            for ws_id in ws_ids)
    finally:
        runtime.close()
    console.print(f"queued {queued} documents for near-duplicate signing", highlight=False)


def _label() -> str:
    """Who ran it, for the audit log: the operating-system account."""
    try:
        return f"casework neardup backfill ({getpass.getuser()})"[:320]
    except (KeyError, OSError):
        return "casework neardup backfill"
