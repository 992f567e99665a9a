"""`casework` commands: migrate, ingest, search; and the one place that registers the
commands of the other cli modules, none of which imports this one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from casework.bootstrap import build_runtime, prepare
from casework.cli import admin, operations, scaleout
from casework.cli import ingest as ingest_cli
from casework.cli.context import WorkspaceOpt, load_cli_settings, open_runtime, workspace_id
from casework.collections.models import CollectionKind
from casework.core.database import transaction
from casework.core.errors import CaseworkError
from casework.search import service as search_service
from casework.search.filters import SearchFilters
from casework.search.service import SearchMode
from casework.workspaces import service as workspaces_service

app = typer.Typer(help="casework: self-hosted document and media intelligence.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
console = Console()
err_console = Console(stderr=True)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (every start also does this).

    Run it again after installing pgvector on the server: it sets up the vector table and
    queues the embeddings skipped meanwhile (docs/scale-out.md).
    """
    runtime = build_runtime(load_cli_settings())
    try:
        prepared = prepare(runtime)
        off = runtime.semantic_off_reason
    finally:
        runtime.close()
    console.print("[green]database is up to date[/green]")
    table = prepared.vector_table
    if table is not None and table.created:
        console.print(f"[green]pgvector: created chunk_vector, copied {table.copied} stored "
                      f"vectors[/green]")
    if prepared.queued.documents or prepared.queued.notes:
        console.print(f"queued embedding of {prepared.queued.documents} documents and "
                      f"{prepared.queued.notes} notes indexed while semantic search was off")
    if off:
        err_console.print(f"[yellow]semantic search is off: {off}[/yellow]")
    elif table is not None and not table.ready:
        err_console.print(f"[yellow]pgvector is not in use ({table.reason}): vectors use the "
                          f"on-disk index, which serves one process only[/yellow]")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(exists=True, help="Files or folders.")],
    collection: Annotated[str, typer.Option("--collection", "-c", help="Collection name "
                                            "(created if missing).")],
    kind: Annotated[CollectionKind, typer.Option(help="Kind of a new collection.")] =
    CollectionKind.case,
    workspace: WorkspaceOpt = workspaces_service.DEFAULT_SLUG,
    wait_for_vectors: Annotated[bool, typer.Option(help="Also wait for semantic indexing.")]
    = True,
) -> None:
    """Ingest files and folders (recursively) and report ingested, duplicate and failed."""
    runtime = open_runtime(load_cli_settings())
    try:
        ws_id = workspace_id(runtime, workspace)
        report, pending = ingest_cli.store_files(
            runtime, workspace_id=ws_id, collection_name=collection, kind=kind,
            paths=paths, console=console)
        if pending:
            ingest_cli.wait_for_documents(runtime, workspace_id=ws_id, pending=pending,
                                          report=report, console=console,
                                          wait_for_vectors=wait_for_vectors)
        ingest_cli.print_report(report, console)
    finally:
        runtime.close()
    if report.failed:
        raise typer.Exit(1)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    mode: Annotated[SearchMode, typer.Option(help="keyword, semantic or hybrid.")] =
    SearchMode.hybrid,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    collection_id: Annotated[str | None, typer.Option("--collection-id")] = None,
    workspace: WorkspaceOpt = workspaces_service.DEFAULT_SLUG,
) -> None:
    """Search the workspace and print the best passages."""
    runtime = open_runtime(load_cli_settings())
    try:
        ws_id = workspace_id(runtime, workspace)
        with transaction(runtime.read_sessions) as session:
            try:
                result = search_service.search(
                    session=session, runtime=runtime, workspace_id=ws_id, text=query,
                    mode=mode, filters=SearchFilters(collection_id=collection_id), limit=limit,
                    offset=0)
            except CaseworkError as exc:
                err_console.print(f"[red]{exc.message}[/red]")
                raise typer.Exit(1) from None
    finally:
        runtime.close()
    for warning in result.warnings:
        err_console.print(f"[yellow]{warning}[/yellow]")
    if not result.hits:
        console.print("no results")
        return
    table = Table("#", "document", "page", "passage", "score", show_lines=True,
                  title=f"{result.mode} search: {result.query!r} ({result.took_ms} ms)")
    for rank, hit in enumerate(result.hits, start=1):
        snippet = re.sub(r"</?mark>", "", hit.snippet)
        table.add_row(str(rank), hit.title, str(hit.page), snippet, f"{hit.score:.4f}")
    console.print(table)


app.add_typer(admin.app, name="admin")
for _command in (operations.serve, operations.backup, operations.restore, operations.health):
    app.command()(_command)

for _command in (scaleout.worker, scaleout.scheduler, scaleout.migrate_data):
    app.command()(_command)


if __name__ == "__main__":
    app()
