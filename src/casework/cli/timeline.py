"""`casework timeline`: a collection's dated sentences in date order, each with its source.

Like `casework search`, it asks the running `casework serve` when there is one (through the
loopback read token of DATA_DIR/local-server.json) and reads the database itself only when
none answers (cli/timeline_local.py). COLLECTION is a collection's name or its id.
"""

from __future__ import annotations

import json
from datetime import date
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
MAX_EVENTS = 500  # the API's page limit

console = Console()


def _day(value: str | None) -> str | None:
    """The date as the API takes it, or a usage error (exit 2) before anything runs."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def timeline(
    collection: Annotated[str, typer.Argument(help="The collection's name or id.")],
    date_from: Annotated[str | None, typer.Option(
        "--from", help="First day, YYYY-MM-DD (a month overlapping it is kept).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = None,
    entity: Annotated[str | None, typer.Option(
        "--entity", help="Only sentences mentioning this entity (its id).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_EVENTS)] = 100,
    offset: Annotated[int, typer.Option(min=0, max=1_000_000)] = 0,
    workspace: Annotated[str | None, typer.Option(
        "--workspace", "-w", help="Workspace slug (default: the default workspace).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
    no_server: Annotated[bool, typer.Option(
        "--no-server", help="Read the database in this process even when a server is "
        "running.")] = False,
) -> None:
    """Every sentence of a collection that names a date, in date order, with its source."""
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    for name, value in (("from", _day(date_from)), ("to", _day(date_to)), ("entity", entity)):
        if value:
            params[name] = value
    settings = load_cli_settings()
    server = None if no_server else local_server.find_running(settings.data_dir)
    answer = ask_server(server, collection, params, workspace) if server else None
    if answer is None:
        # Imported here: it loads the database stack the server path never needs.
        from casework.cli import timeline_local
        answer = timeline_local.timeline_in_process(settings, collection=collection,
                                                    params=params, workspace=workspace)
    if as_json:
        print(json.dumps(answer, indent=2))
    else:
        print_timeline(answer)


def ask_server(server: local_server.LocalServer, collection: str, params: dict[str, Any],
               workspace: str | None) -> dict[str, Any] | None:
    """The server's timeline; None when it cannot be reached or refuses our token. The
    collection is looked up by name first, else taken as an id."""
    found = call_server(server, "GET", "/api/v1/collections", workspace,
                        timeout=SERVER_TIMEOUT, params={"q": collection, "limit": 200})
    if found is None:
        return None
    named = [c["id"] for c in found.get("items", []) if c["name"] == collection.strip()]
    collection_id = named[0] if named else collection
    return call_server(server, "GET", f"/api/v1/collections/{collection_id}/timeline",
                       workspace, timeout=SERVER_TIMEOUT, params=params)


def print_timeline(answer: dict[str, Any]) -> None:
    events = answer["events"]
    if not events:
        console.print("no dated sentences")
        return
    table = Table("date", "sentence", "source", show_lines=True)
    for event in events:
        sentence = " ".join(event["sentence"].split())
        table.add_row(event["date"], escape(sentence),
                      escape(f"{event['title']}, page {event['page']}"))
    console.print(table)
    first = answer["offset"] + 1
    console.print(f"[dim]{first}-{answer['offset'] + len(events)} of {answer['total']} "
                  f"events[/dim]", highlight=False)
