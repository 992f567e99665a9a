"""What the database commands start from: a migrated runtime and a workspace's id.

Shared by the command modules, so none of them reaches into another. A failure here is
one red line on stderr and exit 1 (a workspace that does not exist); the settings and
their exit 2 are in cli/options.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any, TypeVar

import typer
from rich.console import Console

from casework.bootstrap import build_runtime, prepare
from casework.cli.options import err_console
from casework.core.database import transaction
from casework.core.errors import NotFound
from casework.core.settings import Settings
from casework.runtime import Runtime
from casework.workspaces import service as workspaces_service

Row = TypeVar("Row")


def open_runtime(settings: Settings) -> Runtime:
    """A runtime on an up-to-date database (migrated here if needed); the caller closes it."""
    runtime = build_runtime(settings)
    try:
        prepare(runtime)
    except BaseException:
        runtime.close()
        raise
    return runtime


def workspace_id(runtime: Runtime, slug: str) -> str:
    """The id of the workspace `slug`, or its absence on stderr and exit 1."""
    with transaction(runtime.read_sessions) as session:
        try:
            return workspaces_service.get_workspace_by_slug(session=session, slug=slug).id
        except NotFound as exc:
            err_console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from None


def resolve_collection(runtime: Runtime, ws_id: str, collection: str) -> str:
    """A collection named by its id or by its name, or its absence on stderr and exit 1."""
    from casework.collections import service as collections_service

    with transaction(runtime.read_sessions) as session:
        try:
            return collections_service.get_collection(
                session=session, workspace_id=ws_id, collection_id=collection).id
        except NotFound:
            found = collections_service.find_collection_by_name(
                session=session, workspace_id=ws_id, name=collection)
    if found is None:
        err_console.print(f"[red]no collection {collection!r} in this workspace[/red]")
        raise typer.Exit(1)
    return found.id


def follow(runtime: Runtime, load: Callable[[Any], Row], *, done: Collection[str],
           what: str, timeout: float, console: Console) -> Row:
    """Poll the row a job is writing (a report, a production) until its status is in
    `done`; past `timeout`, say so (and that a worker may be missing) and exit 1.

    `load(session)` reads the row; it is returned detached, for the caller to read."""
    deadline = time.monotonic() + timeout
    with console.status(what):
        while True:
            with transaction(runtime.read_sessions) as session:
                row = load(session)
                session.expunge(row)
            status = row.status  # type: ignore[attr-defined]
            if status in done:
                return row
            if time.monotonic() > deadline:
                err_console.print(f"[red]{what}: not done in {timeout:.0f} s (it is "
                                  f"{status}); is a worker running?[/red]")
                raise typer.Exit(1)
            time.sleep(0.2)
