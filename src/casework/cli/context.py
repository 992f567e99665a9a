"""What every `casework` command starts from: settings, a migrated runtime, a workspace.

Shared by the command modules, so none of them reaches into another (or into `main`,
which imports them all to register their commands). A failure here is one red line on
stderr and an exit code: 2 for a configuration the command cannot start with, 1 for a
workspace that does not exist.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from casework.bootstrap import build_runtime, prepare
from casework.core.database import transaction
from casework.core.errors import NotFound
from casework.core.settings import Settings, SettingsError, load_settings
from casework.runtime import Runtime
from casework.workspaces import service as workspaces_service

err_console = Console(stderr=True)

WorkspaceOpt = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]


def load_cli_settings() -> Settings:
    """The settings, or the configuration's problems on stderr and exit 2."""
    try:
        return load_settings()
    except SettingsError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


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
