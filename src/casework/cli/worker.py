"""`casework worker`: alone, the Celery worker (cli/scaleout.py); `casework worker daily-run`,
the scheduled learning run for a cron job (docs/learning.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from casework.cli import scaleout
from casework.cli.context import open_runtime, workspace_id
from casework.cli.options import load_cli_settings

console = Console()
app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.callback(invoke_without_command=True)
def worker(
    ctx: typer.Context,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Jobs run at once.")] = 2,
    queues: Annotated[str, typer.Option(help="Comma-separated: interactive, bulk.")] =
    "interactive,bulk",
    pool: Annotated[str, typer.Option(help="threads (one model in memory) or prefork.")] =
    "threads",
    loglevel: Annotated[str, typer.Option()] = "INFO",
) -> None:
    """Run jobs as Celery tasks from Redis (the scale-out shape); as many as you like.
    `casework worker daily-run` trains the tag models once and exits."""
    if ctx.invoked_subcommand is None:
        scaleout.worker(concurrency=concurrency, queues=queues, pool=pool, loglevel=loglevel)


@app.command("daily-run")
def daily_run(
    horizon: Annotated[int, typer.Option(min=1, max=3650, help="Learn from documents "
                                         "tagged in the last N days.")] = 90,
    workspace: Annotated[str | None, typer.Option("--workspace", "-w", help="Only this "
                                                  "workspace (slug); default: all.")] = None,
) -> None:
    """Train, evaluate, store and apply each workspace's tag model (a cron job's command)."""
    # Imported here: scikit-learn takes ~2 s to import, which `casework worker` need not pay.
    from casework.learning.daily_run import run_daily

    settings = load_cli_settings()
    runtime = open_runtime(settings)
    try:
        only = [workspace_id(runtime, workspace)] if workspace else None
        summaries = run_daily(runtime=runtime, horizon_days=horizon, workspace_ids=only)
    finally:
        runtime.close()
    for summary in summaries:
        figures = (f"{summary.examples} examples, accuracy {_share(summary.accuracy)}, "
                   f"macro-F1 {_share(summary.macro_f1)}, {summary.suggestions} suggestions, "
                   f"{summary.duration_seconds:.1f} s")
        line = f"{summary.workspace_id}: {summary.status}: "
        console.print(line + (summary.reason or figures), highlight=False, soft_wrap=True)
    if any(s.status == "failed" for s in summaries):
        raise typer.Exit(1)


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
