"""`casework ingest`: store files from disk and wait for them to become searchable.

Files are copied (never moved) into the blob store. Jobs run in this process unless a
`casework serve` on the same DATA_DIR already runs the workers; then this command queues
the work and follows its progress in the job table.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from casework.bootstrap import start_workers
from casework.cli.context import open_runtime, workspace_id
from casework.cli.options import WorkspaceOpt, load_cli_settings
from casework.collections import service as collections_service
from casework.collections.models import CollectionKind
from casework.core.database import transaction
from casework.core.errors import CaseworkError
from casework.documents.models import (
    Document,
    DocumentStatus,
    EmbeddingStatus,
    PreviewStatus,
)
from casework.ingest import service as ingest_service
from casework.ingest.upload import SpooledFile
from casework.runtime import Runtime
from casework.storage.spool import spool_blocks
from casework.workspaces import service as workspaces_service

SKIP_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass
class IngestReport:
    ingested: list[tuple[Path, str]] = field(default_factory=list)
    duplicates: list[tuple[Path, str]] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


def iter_files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith(".") and name not in SKIP_NAMES:
                        yield Path(root) / name
        elif path.is_file():
            yield path


def _blocks_within(source: Path, max_bytes: int) -> Iterator[bytes]:
    """`source` in blocks, refusing it once it grows past the upload limit."""
    size = 0
    with open(source, "rb") as src:
        while block := src.read(1024 * 1024):
            size += len(block)
            if size > max_bytes:
                raise CaseworkError(f"larger than the upload limit of {max_bytes} bytes")
            yield block


def spool_copy(source: Path, tmp_dir: Path, max_bytes: int) -> SpooledFile:
    """Copy `source` to a temp file while hashing it, refusing files past the limit."""
    path, size, sha256 = spool_blocks(_blocks_within(source, max_bytes), tmp_dir=tmp_dir,
                                      prefix="ingest-")
    return SpooledFile("files", source.name, path, size, sha256)


def store_files(runtime: Runtime, *, workspace_id: str, collection_name: str,
                kind: CollectionKind, paths: list[Path], console: Console
                ) -> tuple[IngestReport, dict[str, Path]]:
    report = IngestReport()
    pending: dict[str, Path] = {}
    with transaction(runtime.sessions) as session:
        collection = collections_service.find_collection_by_name(
            session=session, workspace_id=workspace_id, name=collection_name)
        if collection is None:
            collection = collections_service.create_collection(
                session=session, workspace_id=workspace_id, name=collection_name, kind=kind)
        collection_id = collection.id
    files = list(iter_files(paths))
    with _progress(console) as progress:
        task = progress.add_task("storing", total=len(files))
        for path in files:
            progress.update(task, description=f"storing {path.name[:40]}")
            try:
                spooled = spool_copy(path, runtime.settings.tmp_dir,
                                     runtime.settings.max_upload_bytes)
                try:
                    with transaction(runtime.sessions) as session:
                        accepted = ingest_service.accept_uploads(
                            session=session, runtime=runtime, workspace_id=workspace_id,
                            collection_id=collection_id, files=[spooled])[0]
                finally:
                    spooled.discard()
            except (CaseworkError, OSError) as exc:
                report.failed.append((path, getattr(exc, "message", None) or str(exc)))
            else:
                if accepted.duplicate:
                    report.duplicates.append((path, accepted.document.id))
                else:
                    pending[accepted.document.id] = path
            progress.advance(task)
    return report, pending


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description:<48}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console)


def wait_for_documents(runtime: Runtime, *, workspace_id: str, pending: dict[str, Path],
                       report: IngestReport, console: Console, wait_for_vectors: bool,
                       own_workers: bool) -> None:
    """Follow the documents until each is done: failed, or ready with its previews drawn
    (and its vectors, with `wait_for_vectors`). The first bar says when every file is
    keyword-searchable, which comes well before the rest."""
    if not own_workers and runtime.settings.worker_threads:
        console.print("[dim]a running casework server processes the queue; following it[/dim]")
    ids = list(pending)
    searchable: set[str] = set()
    done: set[str] = set()
    with _progress(console) as progress:
        keyword = progress.add_task("keyword-searchable", total=len(ids))
        finished = progress.add_task(
            "previews and vectors" if wait_for_vectors else "previews", total=len(ids))
        while len(done) < len(ids):
            with transaction(runtime.read_sessions) as session:
                rows = session.execute(select(
                    Document.id, Document.status, Document.embedding_status,
                    Document.preview_status, Document.error
                ).where(Document.workspace_id == workspace_id, Document.id.in_(ids))).all()
            found = {row[0] for row in rows}
            for document_id in set(ids) - found - done:  # deleted meanwhile
                done.add(document_id)
                searchable.add(document_id)
                report.failed.append((pending[document_id], "deleted while processing"))
            for document_id, status, embedding, previews, error in rows:
                if document_id in done:
                    continue
                if status == DocumentStatus.failed:
                    report.failed.append((pending[document_id], error or "failed"))
                    done.add(document_id)
                    searchable.add(document_id)
                elif status == DocumentStatus.ready:
                    searchable.add(document_id)
                    if previews != PreviewStatus.pending and (
                            not wait_for_vectors or embedding != EmbeddingStatus.pending):
                        report.ingested.append((pending[document_id], document_id))
                        done.add(document_id)
            progress.update(keyword, completed=len(searchable))
            progress.update(finished, completed=len(done))
            if len(done) < len(ids):
                time.sleep(0.2)


def print_report(report: IngestReport, console: Console) -> None:
    console.print(f"[green]{len(report.ingested)} ingested[/green], "
                  f"[yellow]{len(report.duplicates)} duplicate[/yellow], "
                  f"[red]{len(report.failed)} failed[/red]")
    if report.failed:
        table = Table("file", "reason", title="failed", title_justify="left")
        for path, reason in report.failed:
            table.add_row(str(path), reason)
        console.print(table)



def ingest(
    paths: Annotated[list[Path], typer.Argument(exists=True, help="Files or folders.")],
    collection: Annotated[str, typer.Option("--collection", "-c", help="Collection name "
                                            "(created if missing).")],
    kind: Annotated[CollectionKind, typer.Option(help="Kind of a new collection.")] =
    CollectionKind.case,
    workspace: WorkspaceOpt = workspaces_service.DEFAULT_SLUG,
    wait_for_vectors: Annotated[bool, typer.Option(help="Also wait for semantic indexing.")]
    = True,
) -> None:
    """Ingest files and folders (recursively) and report ingested, duplicate and failed."""
    console = Console()
    runtime = open_runtime(load_cli_settings())
    try:
        ws_id = workspace_id(runtime, workspace)
        # Workers first: each file is processed as soon as it is stored, not after the last.
        own_workers = start_workers(runtime)
        report, pending = store_files(
            runtime, workspace_id=ws_id, collection_name=collection, kind=kind,
            paths=paths, console=console)
        if pending:
            wait_for_documents(runtime, workspace_id=ws_id, pending=pending, report=report,
                               console=console, wait_for_vectors=wait_for_vectors,
                               own_workers=own_workers)
        print_report(report, console)
    finally:
        runtime.close()
    if report.failed:
        raise typer.Exit(1)
