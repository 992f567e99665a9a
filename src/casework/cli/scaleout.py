"""`casework worker`, `casework scheduler` and `casework migrate-data`: the scale-out commands."""

from __future__ import annotations

import os
import signal
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from casework.backup.archive import BackupError
from casework.backup.locations import target_from_settings
from casework.bootstrap import build_job_queue, build_job_registry
from casework.cli.context import open_runtime
from casework.cli.options import load_cli_settings
from casework.core.settings import Settings
from casework.db.transfer import MigrationError, migrate_installation

if TYPE_CHECKING:
    from casework.jobs.celery_queue import CeleryJobQueue

console = Console()
err_console = Console(stderr=True)


def _scaleout_settings() -> Settings:
    settings = load_cli_settings()
    if not settings.redis_url:
        err_console.print("[red]REDIS_URL is not set: the embedded shape runs its jobs inside "
                          "`casework serve`; workers and the scheduler need Redis "
                          "(docs/scale-out.md)[/red]")
        raise typer.Exit(2)
    return settings


def _job_queue(settings: Settings) -> CeleryJobQueue:
    return build_job_queue(settings, build_job_registry(settings))


def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Jobs run at once.")] = 2,
    queues: Annotated[str, typer.Option(help="Comma-separated: interactive, bulk.")] =
    "interactive,bulk",
    pool: Annotated[str, typer.Option(help="threads (one model in memory) or prefork.")] =
    "threads",
    loglevel: Annotated[str, typer.Option()] = "INFO",
) -> None:
    """Run jobs as Celery tasks from Redis (the scale-out shape); as many as you like."""
    settings = _scaleout_settings()
    open_runtime(settings).close()  # only to migrate the database
    queue = _job_queue(settings)
    # Interactive first whatever order was typed: the broker serves the first queue
    # listed that holds a message (celery_queue.build_celery).
    wanted = queue.consumption_order({q.strip() for q in queues.split(",")})
    if not wanted:
        err_console.print("[red]--queues: name interactive and/or bulk[/red]")
        raise typer.Exit(2)
    # Celery installs its own SIGTERM handling only once it has started (seconds on a busy
    # machine); until then a stop must still unwind through `finally`, which removes this
    # worker's heartbeat so readiness does not count a worker that is gone.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        if pool == "prefork":
            _beat_in_each_child(queue)
        else:
            queue.worker_side()  # heartbeat from the start, so readiness sees this worker
        console.print(f"casework worker: {concurrency} x {pool} on {', '.join(wanted)}")
        queue.app.Worker(
            pool=pool, concurrency=concurrency, queues=wanted, loglevel=loglevel,
            hostname=f"casework-{os.getpid()}@{socket.gethostname()}",
            without_mingle=True, without_gossip=True, optimization="fair",
        ).start()
    finally:
        queue.close()


def _beat_in_each_child(queue: CeleryJobQueue) -> None:
    """Prefork children run the jobs, so each one records its own heartbeat and renews its
    jobs' leases. Each builds its runtime after the fork (database connections must not
    cross it) and removes its heartbeat row when it exits cleanly."""
    from celery.signals import worker_process_init, worker_process_shutdown  # see _job_queue

    worker_process_init.connect(lambda **_: queue.worker_side(), weak=False)
    worker_process_shutdown.connect(lambda **_: queue.close(), weak=False)


def _warn_unless_backup_target_works(settings: Settings) -> None:
    """Say now, not at the first failed backup, that the target cannot be reached. Only a
    warning: beat's other work (the sweeper) must run regardless."""
    try:
        target_from_settings(settings).list_archives()
    except BackupError as exc:
        err_console.print(f"[yellow]warning: scheduled backups will fail: {exc}[/yellow]")


def scheduler(loglevel: Annotated[str, typer.Option()] = "INFO") -> None:
    """Run Celery beat: the job sweeper and scheduled backups (BACKUP_INTERVAL_HOURS).
    Run exactly one."""
    settings = _scaleout_settings()
    open_runtime(settings).close()  # only to migrate the database
    queue = _job_queue(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    console.print(f"casework scheduler: sweeping jobs every {settings.job_sweep_seconds:g} s")
    for periodic in queue.registry.periodic:
        hours = periodic.interval.total_seconds() / 3600
        details = ", ".join(f"{k} {v}" for k, v in sorted(periodic.payload.items()))
        console.print(f"  {periodic.kind} every {hours:g} h ({details})")
    if queue.registry.periodic:
        _warn_unless_backup_target_works(settings)
    queue.app.Beat(loglevel=loglevel,
                   schedule=str(settings.data_dir / "celerybeat-schedule")).run()


def migrate_data(
    to_database: Annotated[str, typer.Option("--to-database", help="Target SQLAlchemy URL "
                                             "(PostgreSQL), empty or freshly migrated.")],
    to_s3_bucket: Annotated[str | None, typer.Option("--to-s3-bucket", help="Copy blobs to "
                            "this bucket (S3_ENDPOINT_URL/S3_* settings give the rest).")]
    = None,
    to_blob_dir: Annotated[Path | None, typer.Option(help="Or copy blobs to a directory.")]
    = None,
) -> None:
    """Copy this embedded installation (SQLite + local blobs) into PostgreSQL (+ S3)."""
    settings = load_cli_settings()
    try:
        report = migrate_installation(settings, to_database=to_database,
                                      to_s3_bucket=to_s3_bucket, to_blob_dir=to_blob_dir,
                                      progress=console.print)
    except MigrationError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    for table, count in report.rows.items():
        console.print(f"  {table:<20} {count:>8} rows  verified")
    console.print(f"  blobs                {report.blobs:>8} files verified by SHA-256")
    console.print("[green]done: point DATABASE_URL (and S3_*) at the new home[/green]")
