"""`casework ask`: a question answered from the workspace's material, with its sources.

Like `casework search`, it asks the running `casework serve` when there is one (its model is
warm: an answer in a fraction of a second instead of seconds of loading), through the
loopback read token of DATA_DIR/local-server.json; only when none answers does it import
cli/ask_local.py and answer in this process.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import httpx
import typer
from rich.console import Console
from rich.markup import escape

from casework.cli.options import err_console, load_cli_settings
from casework.cli.search import call_server, quiet_model_loading
from casework.core import local_server

# ask.service.AnswerMode's values, without importing the ask stack.
Mode = Literal["auto", "extractive", "generated"]
# A generated answer may take the generator's whole time (LLM_TIMEOUT_SECONDS).
SERVER_TIMEOUT = httpx.Timeout(300.0, connect=0.5)

console = Console()


def ask(
    question: Annotated[str, typer.Argument(help="The question, in plain words.")],
    collection_id: Annotated[str | None, typer.Option(
        "--collection-id", help="Only this collection's material.")] = None,
    document_id: Annotated[list[str] | None, typer.Option(
        "--document-id", help="Only this document (repeat for several).")] = None,
    mode: Annotated[Mode, typer.Option(
        help="auto (generated when LLM_BASE_URL is set), extractive or generated.")] = "auto",
    workspace: Annotated[str | None, typer.Option(
        "--workspace", "-w", help="Workspace slug (default: the default workspace).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
    no_server: Annotated[bool, typer.Option(
        "--no-server", help="Answer in this process even when a server is running.")] = False,
) -> None:
    """Answer a question from the material, quoting the passages it comes from."""
    settings = load_cli_settings()
    body: dict[str, Any] = {"question": question, "mode": mode}
    if collection_id:
        body["collection_id"] = collection_id
    if document_id:
        body["document_ids"] = document_id
    server = None if no_server else local_server.find_running(settings.data_dir)
    answer = ask_server(server, body, workspace) if server else None
    if answer is None:
        quiet_model_loading()
        # Imported here: it loads the database and search stack the server path never needs.
        from casework.cli import ask_local
        answer = ask_local.ask_in_process(settings, body=body, workspace=workspace)
    if as_json:
        print(json.dumps(answer, indent=2))
    else:
        print_answer(answer)


def ask_server(server: local_server.LocalServer, body: dict[str, Any],
               workspace: str | None) -> dict[str, Any] | None:
    """The server's JSON answer; None when it cannot be reached or refuses our token."""
    return call_server(server, "POST", "/api/v1/ask", workspace, timeout=SERVER_TIMEOUT,
                       json=body)


def print_answer(answer: dict[str, Any]) -> None:
    for warning in answer.get("warnings", []):
        err_console.print(f"[yellow]{escape(warning)}[/yellow]")
    console.print(escape(answer["answer"]), soft_wrap=True)
    citations = answer.get("citations", [])
    if citations:
        console.print("\nSources:")
    for number, citation in enumerate(citations, start=1):
        where = (f"page {citation['page']}, characters {citation['start']}-{citation['end']}"
                 if citation.get("document_id") else "note")
        quote = " ".join(citation["text"].split())
        console.print(f"  [{number}] {escape(citation['title'])}, {where}: “{escape(quote)}”",
                      soft_wrap=True, highlight=False)
    cached = " · cached" if answer.get("cached") else ""
    console.print(f"\n[dim]{answer['mode']} answer · confidence {answer['confidence']:.2f} · "
                  f"{answer['took_ms']} ms{cached}[/dim]", highlight=False)
