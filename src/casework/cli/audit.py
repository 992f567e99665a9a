"""`casework audit ...`: check the audit log's hash chains and print their heads, on the
server itself (the same code as `GET /api/v1/audit/verify`)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from casework.audit import chain
from casework.cli.context import open_runtime, workspace_id
from casework.cli.options import load_cli_settings
from casework.core.database import transaction
from casework.runtime import Runtime

app = typer.Typer(help="The audit log's hash chains.", no_args_is_help=True,
                  add_completion=False)
console = Console()

WorkspaceFilter = Annotated[str | None, typer.Option(
    "--workspace", "-w", help="Workspace slug (default: every chain, the account-level "
    "one included).")]


def _chains(runtime: Runtime, workspace: str | None) -> list[str | None]:
    if workspace is not None:
        return [workspace_id(runtime, workspace)]
    with transaction(runtime.read_sessions) as session:
        return chain.chains(session)


def _label(report: chain.ChainReport) -> str:
    return "account-level events" if report.chain == chain.ACCOUNT_CHAIN else \
        f"workspace {report.chain}"


@app.command("verify")
def verify(workspace: WorkspaceFilter = None,
           as_json: Annotated[bool, typer.Option("--json", help="One JSON object per chain.")]
           = False) -> None:
    """Walk each chain; name every edited row, every gap and the first broken seq. Exits 1
    if any chain is broken."""
    runtime = open_runtime(load_cli_settings())
    try:
        reports = []
        for chain_id in _chains(runtime, workspace):
            with transaction(runtime.read_sessions) as session:
                reports.append(chain.verify_chain(session=session, workspace_id=chain_id))
    finally:
        runtime.close()
    for report in reports:
        if as_json:
            console.print_json(json.dumps(report.as_dict()))
        elif report.ok:
            console.print(f"[green]OK[/green] {_label(report)}: {report.events} events, "
                          f"head seq {report.head_seq} {report.head_hash}")
        else:
            _print_broken(report)
    if not all(report.ok for report in reports):
        raise typer.Exit(1)


def _print_broken(report: chain.ChainReport) -> None:
    console.print(f"[red]BROKEN[/red] {_label(report)}: first broken seq "
                  f"{report.first_broken_seq}")
    for seq in report.edited:
        console.print(f"  seq {seq}: edited (its hash does not match its fields)")
    for seq in report.broken_links:
        console.print(f"  seq {seq}: prev_hash is not the hash of the row before it")
    for start, end in report.gaps:
        missing = f"seq {start}" if start == end else f"seqs {start}-{end}"
        console.print(f"  {missing}: missing (deleted)")
    if report.unlinked:
        console.print("  rows without a seq were written around the chain")
    if report.head_mismatch:
        console.print("  the chain head does not match its last row")


@app.command("head")
def head(workspace: WorkspaceFilter = None) -> None:
    """Print each chain's head (seq and hash). Record it outside the database (a ticket, a
    signed mail, a notary): a chain rewritten whole verifies, but no longer ends there."""
    runtime = open_runtime(load_cli_settings())
    try:
        for chain_id in _chains(runtime, workspace):
            with transaction(runtime.read_sessions) as session:
                seq, digest = chain.head_of(session=session, workspace_id=chain_id)
            console.print(f"{chain.chain_of(chain_id)}\t{seq}\t{digest}", soft_wrap=True)
    finally:
        runtime.close()
