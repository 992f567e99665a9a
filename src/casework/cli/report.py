"""`casework report`: write a collection's case report (PDF, HTML, inventory CSV) to a folder.

The report is made by the same generate_report job as the API's: run by this process's
workers, or by the server's when one runs on this DATA_DIR (or Celery's, scale-out), while
this command follows it. Each file is checked against the SHA-256 the job recorded as it is
written, and the digests are printed as `sha256sum` prints them; the files are audited as
`report.download`, as the API's downloads are.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from casework.accounts.principal import Principal
from casework.bootstrap import start_workers
from casework.cli.context import follow, open_runtime, resolve_collection, workspace_id
from casework.cli.options import WorkspaceOpt, err_console, load_cli_settings
from casework.core.database import transaction
from casework.core.errors import CaseworkError
from casework.core.origin import RequestOrigin
from casework.reports import service as reports_service
from casework.reports.models import Report, ReportFormat, ReportStatus
from casework.runtime import Runtime
from casework.workspaces import service as workspaces_service

console = Console()


def _wait(runtime: Runtime, ws_id: str, report_id: str, timeout: float) -> Report:
    return follow(runtime, lambda session: reports_service.get_report(
        session=session, workspace_id=ws_id, report_id=report_id),
        done={ReportStatus.ready, ReportStatus.failed}, what="writing the report",
        timeout=timeout, console=console)


def _write(runtime: Runtime, principal: Principal, report_id: str,
           out: Path) -> list[tuple[str, Path]]:
    written = []
    for fmt in ReportFormat:
        with transaction(runtime.read_sessions) as session:
            found, chunks = reports_service.download_report(
                session=session, runtime=runtime, principal=principal, report_id=report_id,
                fmt=fmt)
        target = out / found.filename
        digest = hashlib.sha256()
        with open(target, "wb") as fh:
            for block in chunks:
                digest.update(block)
                fh.write(block)
        if digest.hexdigest() != found.sha256:
            err_console.print(f"[red]{target}: SHA-256 {digest.hexdigest()} is not the "
                              f"recorded {found.sha256}[/red]")
            raise typer.Exit(1)
        written.append((found.sha256, target))
    return written


def report(
    collection: Annotated[str, typer.Argument(help="The collection's name or id.")],
    out: Annotated[Path, typer.Option("--out", "-o", file_okay=False,
                                      help="Folder to write the files to (created).")],
    workspace: WorkspaceOpt = workspaces_service.DEFAULT_SLUG,
    timeout: Annotated[float, typer.Option(min=1, max=86_400,
                                           help="Seconds to wait for the job.")] = 900,
) -> None:
    """Write a collection's case report (PDF, HTML and the inventory CSV) and print each
    file's SHA-256 (as `sha256sum` does)."""
    runtime = open_runtime(load_cli_settings())
    try:
        ws_id = workspace_id(runtime, workspace)
        collection_id = resolve_collection(runtime, ws_id, collection)
        principal = Principal(workspace_id=ws_id, user_id=None, role=None, label="cli",
                              origin=RequestOrigin.cli())
        start_workers(runtime)
        with transaction(runtime.sessions) as session:
            queued, _ = reports_service.request_report(
                session=session, runtime=runtime, principal=principal,
                collection_id=collection_id)
            report_id = queued.id
        done = _wait(runtime, ws_id, report_id, timeout)
        if done.status == ReportStatus.failed:
            err_console.print(f"[red]the report failed: {done.error}[/red]")
            raise typer.Exit(1)
        out.mkdir(parents=True, exist_ok=True)
        try:
            written = _write(runtime, principal, report_id, out)
        except (CaseworkError, OSError) as exc:
            err_console.print(f"[red]{getattr(exc, 'message', None) or exc}[/red]")
            raise typer.Exit(1) from None
    finally:
        runtime.close()
    for sha256, path in written:  # as sha256sum prints them: `sha256sum -c` checks them
        typer.echo(f"{sha256}  {path}")
    err_console.print(f"report {report_id}: {done.document_count} documents · inventory SHA-256 "
                  f"{done.inventory_sha256}", highlight=False, soft_wrap=True)
