"""`casework progress`: a collection's (or an upload batch's) ingest progress by state and
stage, documents/s, ETA and the failures with their reasons; `--retry-failed` queues
again only what failed.

Like `casework timeline`, it asks the running `casework serve` when there is one (through
the loopback token of DATA_DIR/local-server.json) and reads the database itself only when
none answers (cli/progress_local.py). `--retry-failed` always writes in this process (the
server's token only reads); the server's workers, or the next run, do the work.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from casework.cli.options import load_cli_settings
from casework.cli.search import call_server
from casework.core import local_server

SERVER_TIMEOUT = httpx.Timeout(30.0, connect=0.5)
MAX_FAILURES = 200  # the API's page limit

console = Console()


def progress(
    collection: Annotated[str | None, typer.Argument(
        help="The collection's name or id (or give --batch).")] = None,
    batch: Annotated[str | None, typer.Option(
        "--batch", help="An upload batch's id instead of a collection.", max=64)] = None,
    failures: Annotated[int, typer.Option(
        help="How many failing documents to list.", min=0, max=MAX_FAILURES)] = 20,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="Queue again only what failed, then show the progress.")]
    = False,
    workspace: Annotated[str | None, typer.Option(
        "--workspace", "-w", help="Workspace slug (default: the default workspace).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
    no_server: Annotated[bool, typer.Option(
        "--no-server", help="Read the database in this process even when a server is "
        "running.")] = False,
) -> None:
    """Ingest progress: counts by state and stage, documents/s, ETA, failures."""
    if (collection is None) == (batch is None):
        raise typer.BadParameter("name a collection, or give --batch (not both)")
    settings = load_cli_settings()
    # The server's local token reads only: a retry is written here, in the same database,
    # and the server's workers pick its jobs up.
    server = None if no_server or retry_failed else local_server.find_running(settings.data_dir)
    answer = ask_server(server, collection, batch, workspace, failures) if server else None
    if answer is None:
        from casework.cli import progress_local  # loads the database stack

        answer = progress_local.progress_in_process(
            settings, collection=collection, batch=batch, workspace=workspace,
            failures_limit=failures, retry_failed=retry_failed)
    if as_json:
        print(json.dumps(answer, indent=2))
        return
    if "retried" in answer:
        retried = answer["retried"]
        console.print(f"queued again: {retried['text']} extraction, {retried['previews']} "
                      f"previews, {retried['vectors']} vectors, {retried['entities']} "
                      "entities", highlight=False)
    print_progress(answer, console)


def ask_server(server: local_server.LocalServer, collection: str | None, batch: str | None,
               workspace: str | None, failures: int) -> dict[str, Any] | None:
    """The server's answer; None when it cannot be reached or refuses our token."""
    if batch is not None:
        base = f"/api/v1/ingest-batches/{batch}"
    else:
        found = call_server(server, "GET", "/api/v1/collections", workspace,
                            timeout=SERVER_TIMEOUT, params={"q": collection, "limit": 200})
        if found is None:
            return None
        named = [c["id"] for c in found.get("items", []) if c["name"] == (collection or "")
                 .strip()]
        base = f"/api/v1/collections/{named[0] if named else collection}"
    measured = call_server(server, "GET", base if batch else f"{base}/progress", workspace,
                           timeout=SERVER_TIMEOUT)
    listed = call_server(server, "GET", f"{base}/failures", workspace, timeout=SERVER_TIMEOUT,
                         params={"limit": max(failures, 1)})
    if measured is None or listed is None:
        return None
    return {"progress": measured.get("progress", measured), "failures": listed}


def print_progress(answer: dict[str, Any], out: Console) -> None:
    """Stage counts, rate and ETA, then the failing files with their reasons."""
    progress, listed = answer["progress"], answer["failures"]
    states = progress["states"]
    out.print(f"{progress['total']} documents: " + ", ".join(
        f"{count} {state}" for state, count in states.items()), highlight=False)
    table = Table("stage", "pending", "ready", "failed", "other", title_justify="left")
    stages = progress["stages"]
    table.add_row("stored", "", str(stages["stored"]), "", "")
    table.add_row("text", str(stages["text"]["pending"]), str(stages["text"]["ready"]),
                  str(stages["text"]["failed"]), "")
    ocr = stages["ocr"]
    table.add_row("OCR", "", str(ocr.get("done", 0)), "",
                  ", ".join(f"{k} {v}" for k, v in ocr.items() if k != "done" and v))
    for name in ("previews", "vectors"):
        counts = stages[name]
        table.add_row(name, str(counts["pending"]), str(counts["ready"]), str(counts["failed"]),
                      ", ".join(f"{k} {v}" for k, v in counts.items()
                                if k not in ("pending", "ready", "failed") and v))
    entities = stages["entities"]
    table.add_row("entities", str(entities["pending"]), str(entities["done"]),
                  str(entities["failed"]), "" if entities["enabled"] else "off")
    out.print(table)
    rate, eta = progress["throughput"]["documents_per_second"], progress["eta_seconds"]
    line = f"{rate:g} documents/s over the last {progress['throughput']['window_seconds']} s"
    if eta is not None:
        line += f", about {_duration(eta)} left"
    elif progress["done"]:
        line += ", done"
    out.print(line, highlight=False)
    if listed["items"]:
        failed = Table("file", "stage", "reason", "attempts",
                       title=f"failed: {listed['total']} documents", title_justify="left")
        for row in listed["items"]:
            failed.add_row(escape(row["filename"]), row["stage"], escape(row["message"]),
                           "" if row["attempts"] is None else str(row["attempts"]))
        out.print(failed)
        if listed["total"] > len({r["document_id"] for r in listed["items"]}):
            out.print("[dim]more in the CSV: GET .../failures.csv[/dim]")


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
