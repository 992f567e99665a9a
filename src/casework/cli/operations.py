"""Operator commands: `serve` for production, `migrate`, `backup`, `restore` and `health`.

`serve --workers N` migrates once in the parent before the server processes start (so they
do not race to migrate), points prometheus_client at a shared folder so /metrics sums every
process, and relies on uvicorn for graceful shutdown: on SIGTERM each process stops taking
connections, finishes in-flight requests (up to SHUTDOWN_GRACE_SECONDS), then stops its
job workers, which let running jobs finish or leave them to be reclaimed through leases.
"""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from casework.backup.archive import BackupError
from casework.backup.locations import open_target
from casework.backup.service import create_backup, restore_backup
from casework.backup.targets import BackupTarget, prune
from casework.bootstrap import build_runtime, prepare
from casework.cli.context import open_runtime
from casework.cli.options import load_cli_settings
from casework.core.process_lock import ProcessLock
from casework.core.settings import Settings
from casework.observability.health import check_readiness
from casework.observability.logs import configure_logging
from casework.observability.metrics import prepare_multiprocess_dir

console = Console()
err_console = Console(stderr=True)


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default PORT).")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes. Only one "
                                         "of them runs the embedded job workers.")] = 1,
) -> None:
    """Run the web server (API and in-process workers)."""
    settings = load_cli_settings()
    configure_logging(settings)
    open_runtime(settings).close()  # migrate once, here, before any server process starts
    metrics_dir = settings.prometheus_multiproc_dir
    if workers > 1 and metrics_dir is None:
        metrics_dir = settings.data_dir / "metrics"
        # Handed to the server processes, which import prometheus_client after this.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir.resolve())
    if metrics_dir is not None:
        prepare_multiprocess_dir(metrics_dir)
    host, port = host or settings.host, port or settings.port
    # Read by the server process's settings: it then publishes itself to the CLI's search.
    # One process only: each would hold its own token, and a request may reach any of them.
    local_url = local_server_url(host, port) if workers == 1 else None
    if local_url:
        os.environ["LOCAL_SERVER_URL"] = local_url
    else:
        os.environ.pop("LOCAL_SERVER_URL", None)
    console.print(f"casework serving at http://{host}:{port} with {workers} process(es)"
                  f"  (data in {settings.data_dir.resolve()})")
    uvicorn.run("casework.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_config=None, access_log=False,
                # X-Forwarded-* are believed only from TRUSTED_PROXIES, by the app itself.
                proxy_headers=False, forwarded_allow_ips="",
                timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
                # A process still importing on a busy machine is not hung: uvicorn's 5 s
                # default restarts slow starters in a loop.
                timeout_worker_healthcheck=60)


def local_server_url(host: str, port: int) -> str | None:
    """Where the CLI on this machine reaches the server over loopback; None if it cannot
    (bound to one outside address only, the local token would come from a non-loopback
    address and be refused anyway)."""
    if host in ("0.0.0.0", "127.0.0.1", "localhost"):  # noqa: S104  (compared, not bound)
        return f"http://127.0.0.1:{port}"
    if host in ("::", "::1"):
        return f"http://[::1]:{port}"
    return None


def migrate() -> None:
    """Create or upgrade the database schema (every start also does this).

    Run it again after installing pgvector on the server: it sets up the vector table and
    queues the embeddings skipped meanwhile (docs/scale-out.md).
    """
    runtime = build_runtime(load_cli_settings())
    try:
        prepared = prepare(runtime)
        off = runtime.semantic_off_reason
    finally:
        runtime.close()
    console.print("[green]database is up to date[/green]")
    table = prepared.vector_table
    if table is not None and table.created:
        console.print(f"[green]pgvector: created chunk_vector, copied {table.copied} stored "
                      f"vectors[/green]")
    if prepared.queued.documents or prepared.queued.notes:
        console.print(f"queued embedding of {prepared.queued.documents} documents and "
                      f"{prepared.queued.notes} notes indexed while semantic search was off")
    if prepared.signing:
        console.print(f"queued near-duplicate signing of {sum(prepared.signing.values())} "
                      "documents stored without a signature (docs/near-duplicates.md)")
    if off:
        err_console.print(f"[yellow]semantic search is off: {off}[/yellow]")
    elif table is not None and not table.ready:
        err_console.print(f"[yellow]pgvector is not in use ({table.reason}): vectors use the "
                          f"on-disk index, which serves one process only[/yellow]")


def _backup_target(location: str | None,
                   settings: Settings) -> tuple[BackupTarget, str | None]:
    """The target `--to` names (or BACKUP_TARGET / BACKUP_DIR), and an archive name if any."""
    try:
        return open_target(location or settings.resolved_backup_target, settings)
    except BackupError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


def backup(
    to: Annotated[str | None, typer.Option(
        "--to", help="A folder or s3://bucket/prefix/ (archive named by time), or a path "
        "ending in .tar. Default BACKUP_TARGET, else BACKUP_DIR.")] = None,
    keep: Annotated[int | None, typer.Option(
        min=1, help="Then delete all but the N newest archives in that place.")] = None,
    list_only: Annotated[bool, typer.Option(
        "--list", help="Only list the archives in that place, oldest first.")] = False,
) -> None:
    """Write one archive: database snapshot, blobs, vector index, checksummed manifest."""
    settings = load_cli_settings()
    target, name = _backup_target(to, settings)
    if list_only:
        try:
            archives = target.list_archives()
        except BackupError as exc:
            err_console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        for archive in archives:  # plain lines, for scripts: location TAB size
            typer.echo(f"{archive.location}\t{archive.size}")
        if not archives:
            err_console.print(f"no casework archives in {target.location}")
        return
    runtime = build_runtime(settings)
    try:
        stored = create_backup(runtime=runtime, target=target, name=name)
    except BackupError as exc:
        err_console.print(f"[red]backup failed: {exc}[/red]")
        raise typer.Exit(1) from None
    finally:
        runtime.close()
    console.print(f"[green]backup written[/green]: {stored.location} ({stored.size} bytes)")
    if keep is not None:
        try:
            removed = prune(target, keep=keep)
        except BackupError as exc:
            err_console.print(f"[red]the backup is written, but removing old ones failed: "
                              f"{exc}[/red]")
            raise typer.Exit(1) from None
        for old in removed:
            console.print(f"removed old backup {old}")


def restore(
    archive: Annotated[str, typer.Argument(
        help="A casework backup archive: a .tar path or s3://bucket/prefix/NAME.tar.")],
    force: Annotated[bool, typer.Option(help="Replace an installation that holds data.")]
    = False,
) -> None:
    """Verify an archive's checksums, then restore it into this installation (stopped)."""
    settings = load_cli_settings()
    target, name = _backup_target(archive, settings)
    if name is None:
        err_console.print(f"[red]{archive} names no archive: give its .tar name (list them "
                          f"with `casework backup --list --to {archive}`)[/red]")
        raise typer.Exit(2)
    lock = ProcessLock(settings.data_dir / "worker.lock")
    if not lock.acquire():  # held for the whole restore: no server starts its workers
        err_console.print("[red]a casework server is running on this DATA_DIR: stop it "
                          "before restoring[/red]")
        raise typer.Exit(1)
    runtime = build_runtime(settings)
    try:
        manifest = restore_backup(runtime=runtime, target=target, name=name, force=force)
    except BackupError as exc:
        err_console.print(f"[red]restore refused: {exc}[/red]")
        raise typer.Exit(1) from None
    finally:
        runtime.close()
        lock.release()
    counts = manifest.get("counts", {})
    console.print(f"[green]restored[/green] the backup of {manifest.get('created_at')}: "
                  f"{counts.get('blobs', 0)} blobs, {counts.get('index_files', 0)} index files")


def health(
    check: Annotated[list[str] | None, typer.Option(
        "--check", help="Run only this check (repeatable): database, redis, storage, "
        "search_index, workers.")] = None,
) -> None:
    """Run the readiness checks in this process; exit 1 when one fails (for probes)."""
    settings = load_cli_settings()
    runtime = build_runtime(settings)
    try:
        report = check_readiness(runtime, only=check)
    finally:
        runtime.close()
    console.print_json(json.dumps(report.to_body()))
    if not report.ok:
        raise typer.Exit(1)
