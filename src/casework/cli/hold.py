"""`casework hold list|place|release`: legal holds from the server's shell, through the same
service as the API (audited, with "cli" as the actor)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from casework.accounts.principal import Principal
from casework.cli.context import open_runtime, workspace_id
from casework.cli.options import err_console, load_cli_settings
from casework.core.database import transaction
from casework.core.errors import CaseworkError
from casework.core.origin import RequestOrigin
from casework.holds import service as holds_service
from casework.holds.models import LegalHold
from casework.holds.service import HoldTarget

app = typer.Typer(help="Legal holds: what may not be deleted.", no_args_is_help=True,
                  add_completion=False)
console = Console()
WorkspaceOption = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]


@app.command("list")
def list_holds(workspace: WorkspaceOption = "default",
               active: Annotated[bool, typer.Option(
                   "--active", help="Only holds not yet released.")] = False) -> None:
    """The workspace's holds, active first."""
    runtime = open_runtime(load_cli_settings())
    try:
        ws_id = workspace_id(runtime, workspace)
        with transaction(runtime.read_sessions) as session:
            holds = holds_service.list_holds(session=session, workspace_id=ws_id,
                                             active=True if active else None)
            lines = [f"{h.id}  {_state(h)}  {h.scope} {h.target_label!r}  {h.name}: "
                     f"{h.matter}  (placed {h.created_at:%Y-%m-%d} by "
                     f"{h.created_by_label or '-'})" for h in holds]
    finally:
        runtime.close()
    # One line per hold, never wrapped: ids stay whole for `release` and for grep.
    for line in lines or ["no holds"]:
        console.print(line, soft_wrap=True, highlight=False, markup=False)


def _state(hold: LegalHold) -> str:
    if hold.active:
        return "ACTIVE"
    return f"released {hold.released_at:%Y-%m-%d} ({hold.release_reason})"


def _as_cli(ws_id: str) -> Principal:
    return Principal(workspace_id=ws_id, user_id=None, role=None, label="cli",
                     origin=RequestOrigin.cli())


@app.command("place")
def place(name: Annotated[str, typer.Option(help="What the hold is called.")],
          matter: Annotated[str, typer.Option(help="The matter, or the reason.")],
          collection: Annotated[str | None, typer.Option(help="A collection's id.")] = None,
          custodian: Annotated[str | None, typer.Option(help="A custodian's name.")] = None,
          workspace: WorkspaceOption = "default") -> None:
    """Place a hold on a collection or on a custodian (exactly one)."""
    runtime = open_runtime(load_cli_settings())
    try:
        principal = _as_cli(workspace_id(runtime, workspace))
        with transaction(runtime.sessions) as session:
            hold = holds_service.place_hold(
                session=session, principal=principal, name=name, matter=matter,
                target=HoldTarget(collection_id=collection, custodian=custodian))
            console.print(f"hold {hold.id} placed on {hold.scope} {hold.target_label}")
    except CaseworkError as exc:
        err_console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        runtime.close()


@app.command("release")
def release(hold_id: Annotated[str, typer.Argument(help="The hold's id.")],
            reason: Annotated[str, typer.Option(help="Why it is released.")],
            workspace: WorkspaceOption = "default") -> None:
    """Release an active hold; it stays listed, with the reason."""
    runtime = open_runtime(load_cli_settings())
    try:
        principal = _as_cli(workspace_id(runtime, workspace))
        with transaction(runtime.sessions) as session:
            hold = holds_service.release_hold(session=session, principal=principal,
                                              hold_id=hold_id, reason=reason)
            console.print(f"hold {hold.id} released")
    except CaseworkError as exc:
        err_console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        runtime.close()
