"""`casework search`: ask the running server when there is one, else search in-process.

`casework serve` publishes its address and a read-only token in DATA_DIR/local-server.json
(core/local_server.py); its embedding model is already loaded, so the answer takes
milliseconds instead of the seconds a cold model costs. This module imports only what that
path needs (typer, rich, httpx, the settings): the search stack is imported only when
no server answers.
"""

from __future__ import annotations

import html
import logging
import os
import re
from typing import Annotated, Any, Literal, get_args

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from casework.cli.options import err_console, load_cli_settings
from casework.core import local_server

# search.service.SearchMode's values (a test checks), without importing the search stack.
Mode = Literal["hybrid", "keyword", "semantic"]
MODES = get_args(Mode)
SERVER_TIMEOUT = httpx.Timeout(10.0, connect=0.5)

console = Console()


def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    mode: Annotated[Mode, typer.Option(help="keyword, semantic or hybrid.")] = "hybrid",
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    collection_id: Annotated[str | None, typer.Option("--collection-id")] = None,
    workspace: Annotated[str | None, typer.Option(
        "--workspace", "-w", help="Workspace slug (default: the default workspace).")] = None,
    no_server: Annotated[bool, typer.Option(
        "--no-server", help="Search in this process even when a server is running.")] = False,
) -> None:
    """Search the workspace and print the best passages."""
    settings = load_cli_settings()
    params: dict[str, Any] = {"q": query, "mode": mode, "limit": limit}
    if collection_id:
        params["collection_id"] = collection_id
    server = None if no_server else local_server.find_running(settings.data_dir)
    answer = ask_server(server, params, workspace) if server else None
    if answer is None:
        quiet_model_loading()
        # Imported here, not at the top: it loads the database and search stack, which
        # costs seconds of start-up that the server path never needs.
        from casework.cli import search_local
        answer = search_local.search_in_process(
            settings, query=query, mode=mode, limit=limit, collection_id=collection_id,
            workspace=workspace)
    print_answer(answer)


def quiet_model_loading() -> None:
    """The model's libraries report loading (progress bars, notices) on the terminal:
    the command's output is the table. Set before they are imported; a user's own setting
    of these variables wins."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    for name in ("sentence_transformers", "transformers", "huggingface_hub"):
        logging.getLogger(name).setLevel(logging.ERROR)


def ask_server(server: local_server.LocalServer, params: dict[str, Any],
               workspace: str | None) -> dict[str, Any] | None:
    """The server's search answer; None when it cannot be reached or does not know our
    token (a stale file, another server on that port), so the caller searches in-process."""
    return call_server(server, "GET", "/api/v1/search", workspace, timeout=SERVER_TIMEOUT,
                       params=params)


def call_server(server: local_server.LocalServer, method: str, path: str,
                workspace: str | None, *, timeout: httpx.Timeout,
                **request: Any) -> dict[str, Any] | None:
    """One request to the running server with the local token (`casework search` and
    `casework ask`): its JSON, None when it cannot be reached or refuses the token, and an
    error it answers is printed and ends the command."""
    headers = {local_server.TOKEN_HEADER: server.token}
    if workspace:
        headers["X-Workspace"] = workspace
    try:
        response = httpx.request(method, f"{server.url}{path}", headers=headers,
                                 timeout=timeout, **request)
    except httpx.TransportError:
        return None
    if response.status_code == 401:
        return None
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.is_error:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        err_console.print(f"[red]{error.get('message') or response.reason_phrase}[/red]")
        raise typer.Exit(1)
    return body


def print_answer(answer: dict[str, Any]) -> None:
    for warning in answer.get("warnings", []):
        err_console.print(f"[yellow]{warning}[/yellow]")
    for collection in answer.get("collections", []):  # named by the query: before passages
        reference = f" ({collection['reference']})" if collection.get("reference") else ""
        console.print(f"collection {escape(collection['name'] + reference)}: "
                      f"{collection['id']}")
    hits = answer.get("hits", [])
    if not hits:
        console.print("no results")
        return
    table = Table("#", "document", "page", "passage", "score", show_lines=True,
                  title=escape(f"{answer['mode']} search: {answer['query']!r} "
                               f"({answer['took_ms']} ms)"))
    for rank, hit in enumerate(hits, start=1):
        snippet = html.unescape(re.sub(r"</?mark>", "", hit["snippet"]))
        table.add_row(str(rank), escape(hit["title"]), str(hit["page"]), escape(snippet),
                      f"{hit['score']:.4f}")
    console.print(table)
