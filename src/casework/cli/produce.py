"""`casework produce`: a production set of a collection, written to a ZIP file.

The same build_production job as the API's (run by this process's workers, or the
server's on this DATA_DIR, or Celery's) while this command follows it; the ZIP is checked
against the SHA-256 the job recorded and audited as `production.download`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError
from rich.console import Console

from casework.accounts.principal import Principal
from casework.bootstrap import start_workers
from casework.cli.context import follow, open_runtime, resolve_collection, workspace_id
from casework.cli.options import WorkspaceOpt, err_console, load_cli_settings
from casework.core.database import transaction
from casework.core.errors import CaseworkError
from casework.core.origin import RequestOrigin
from casework.productions import service
from casework.productions.models import (
    FamilyPolicy,
    NativePolicy,
    Production,
    ProductionStatus,
    StampPosition,
)
from casework.productions.schemas import BatesPrefix, Legend
from casework.runtime import Runtime
from casework.workspaces import service as workspaces_service

console = Console()


def _wait(runtime: Runtime, ws_id: str, production_id: str, timeout: float) -> Production:
    return follow(runtime, lambda session: service.get_production(
        session=session, workspace_id=ws_id, production_id=production_id),
        done={ProductionStatus.succeeded, ProductionStatus.failed}, what="producing",
        timeout=timeout, console=console)


def produce(
    collection: Annotated[str, typer.Argument(help="The collection's name or id.")],
    out: Annotated[Path, typer.Option("--out", "-o", dir_okay=False,
                                      help="The ZIP file to write.")],
    prefix: Annotated[str, typer.Option(help="Bates prefix, e.g. ABC.")],
    start: Annotated[int, typer.Option(min=0, help="The first Bates number.")] = 1,
    digits: Annotated[int, typer.Option(min=1, max=12, help="Zero padding.")] = 6,
    position: Annotated[StampPosition, typer.Option(help="Where the stamp goes.")]
    = StampPosition.bottom_right,
    legend: Annotated[str | None, typer.Option(help="e.g. CONFIDENTIAL")] = None,
    name: Annotated[str, typer.Option(help="The production's name.")] = "Production",
    responsive_only: Annotated[bool, typer.Option(
        help="Only documents coded responsive.")] = False,
    natives: Annotated[NativePolicy, typer.Option(
        help="Documents sent in their original form under NATIVES/ (a slip sheet in the "
             "images); never privileged, redacted or container documents.")]
    = NativePolicy.none,
    families: Annotated[FamilyPolicy, typer.Option(
        help="complete: a selected document brings its family (an e-mail and its "
             "attachments); as_selected: only the selected documents.")]
    = FamilyPolicy.complete,
    workspace: WorkspaceOpt = workspaces_service.DEFAULT_SLUG,
    timeout: Annotated[float, typer.Option(min=1, max=86_400)] = 3600,
) -> None:
    """Produce a collection (Bates-stamped PDFs, DAT/OPT load files, privilege log) into a
    ZIP and print its SHA-256."""
    try:
        TypeAdapter(BatesPrefix).validate_python(prefix)
        if legend is not None:
            TypeAdapter(Legend).validate_python(legend)
    except ValidationError:
        err_console.print("[red]the prefix takes letters, digits and - _ . (at most 20); "
                          "the legend printable ASCII (at most 80)[/red]")
        raise typer.Exit(2) from None
    runtime = open_runtime(load_cli_settings())
    try:
        ws_id = workspace_id(runtime, workspace)
        principal = Principal(workspace_id=ws_id, user_id=None, role=None, label="cli",
                              origin=RequestOrigin.cli())
        selection = service.Selection(collection_id=resolve_collection(runtime, ws_id, collection),
                                      responsiveness="responsive" if responsive_only else None)
        start_workers(runtime)
        try:
            with transaction(runtime.sessions) as session:
                production_id = service.create_production(
                    session=session, runtime=runtime, principal=principal, name=name,
                    selection=selection, numbering=service.Numbering(
                        prefix=prefix, start=start, digits=digits, position=position.value,
                        legend=legend, volume="VOL001"), natives=natives,
                    families=families).id
            done = _wait(runtime, ws_id, production_id, timeout)
            if done.status == ProductionStatus.failed:
                err_console.print(f"[red]the production failed: {done.error}[/red]")
                raise typer.Exit(1)
            digest = hashlib.sha256()
            with transaction(runtime.read_sessions) as session:
                _, chunks = service.open_download(session=session, runtime=runtime,
                                                  principal=principal,
                                                  production_id=production_id)
                with open(out, "wb") as fh:
                    for block in chunks:
                        digest.update(block)
                        fh.write(block)
        except CaseworkError as exc:
            err_console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from None
    finally:
        runtime.close()
    if digest.hexdigest() != done.sha256:
        err_console.print(f"[red]{out}: SHA-256 {digest.hexdigest()} is not the recorded "
                          f"{done.sha256}[/red]")
        raise typer.Exit(1)
    typer.echo(f"{digest.hexdigest()}  {out}")
    err_console.print(f"production {production_id}: {done.first_bates} - {done.last_bates}, "
                      f"{done.page_count} pages, {done.withheld_count} withheld, "
                      f"{done.native_count} native",
                      highlight=False, soft_wrap=True)
