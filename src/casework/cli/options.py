"""What every `casework` command reads first: the settings and the workspace it acts in.

Light on purpose (typer, rich and the settings only): `casework search` starts from here
and, when a server answers, never loads the database or search stack at all.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from casework.core.settings import Settings, SettingsError, load_settings

err_console = Console(stderr=True)

WorkspaceOpt = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]


def load_cli_settings() -> Settings:
    """The settings, or the configuration's problems on stderr and exit 2."""
    try:
        return load_settings()
    except SettingsError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
