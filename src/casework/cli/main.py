"""`casework`: the one place that names every command and the module that holds it.

A command's module is imported only when that command runs (or when help lists them all):
most of them load the database and search stack, and `casework search` against a running
server must answer in well under a second. None of the modules imports this one.
"""

from __future__ import annotations

import importlib

import typer
from typer.core import TyperCommand, TyperGroup

# Command name -> "module:attribute": a command function, or a Typer app for a group.
COMMANDS = {
    "migrate": "casework.cli.operations:migrate",
    "ingest": "casework.cli.ingest:ingest",
    "progress": "casework.cli.progress:progress",
    "search": "casework.cli.search:search",
    "ask": "casework.cli.ask:ask",
    "timeline": "casework.cli.timeline:timeline",
    "report": "casework.cli.report:report",
    "produce": "casework.cli.produce:produce",
    "admin": "casework.cli.admin:app",
    "audit": "casework.cli.audit:app",
    "custody": "casework.cli.custody:app",
    "hold": "casework.cli.hold:app",
    "neardup": "casework.cli.neardup:app",
    "serve": "casework.cli.operations:serve",
    "backup": "casework.cli.operations:backup",
    "restore": "casework.cli.operations:restore",
    "health": "casework.cli.operations:health",
    "worker": "casework.cli.worker:app",
    "scheduler": "casework.cli.scaleout:scheduler",
    "migrate-data": "casework.cli.scaleout:migrate_data",
    "keyword-index": "casework.cli.keyword_index:app",
    "verify-export": "casework.cli.verify_export:verify_export",
}


class LazyCommands(TyperGroup):
    """Resolves a command by name from `COMMANDS`, importing only its module."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: typer.Context,  # type: ignore[override]
                    cmd_name: str) -> TyperCommand | TyperGroup | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attribute = target.partition(":")
        found = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(found, typer.Typer):
            found = single_command(cmd_name, found)
        command = typer.main.get_command(found)
        assert isinstance(command, TyperCommand | TyperGroup)
        command.name = cmd_name
        return command


def single_command(name: str, function: object) -> typer.Typer:
    wrapper = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    wrapper.command(name=name)(function)
    return wrapper


app = typer.Typer(cls=LazyCommands, no_args_is_help=True, pretty_exceptions_enable=False)


@app.callback()
def main() -> None:
    """casework: self-hosted document and media intelligence."""


if __name__ == "__main__":
    app()
