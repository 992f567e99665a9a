"""`casework ingest`: store files from disk and wait for them to become searchable.

Files are copied (never moved) into the blob store. Jobs run in this process unless a
`casework serve` on the same DATA_DIR already runs the workers; then this command queues
the work and follows its progress in the job table.
"""

from __future__ import annotations

import getpass
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from casework.accounts.principal import Principal
from casework.bootstrap import start_workers
from casework.cli.context import open_runtime, workspace_id
from casework.cli.options import WorkspaceOpt, err_console, load_cli_settings
from casework.cli.progress import print_progress
from casework.cli.progress_local import read_progress
from casework.collections import service as collections_service
from casework.collections.models import CollectionKind
from casework.core.database import transaction, utcnow
from casework.core.errors import CaseworkError
from casework.custody.service import MAX_CUSTODIAN, MAX_SOURCE_PATH, Arrival, clean_field
from casework.documents.models import (
    Document,
    DocumentStatus,
    EmbeddingStatus,
    PreviewStatus,
)
from casework.ingest import service as ingest_service
from casework.ingest.upload import SpooledFile
from casework.jobs.models import JobPriority
from casework.progress import service as progress_service
from casework.runtime import Runtime
from casework.storage.spool import spool_digests
from casework.workspaces import service as workspaces_service

SKIP_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}

# The jobs this command runs itself: everything up to vectors. Entity extraction (enrich)
# stays queued for `casework serve`: this command does not wait for it, and spaCy beside the
# embedding model took the ingest of 264 PDFs over 1 GB (docs/benchmarks.md#first-result).
OWN_JOBS = (-1_000_000, JobPriority.enrich - 1)


@dataclass
class IngestReport:
    ingested: list[tuple[Path, str]] = field(default_factory=list)
    duplicates: list[tuple[Path, str]] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    batch_id: str | None = None  # the upload batch (progress/) this run recorded
    members: int = 0  # documents found inside the files (messages, archive files)


def iter_files(paths: list[Path]) -> Iterator[Path]:
    for path, _source in iter_sources(paths):
        yield path


def iter_sources(paths: list[Path]) -> Iterator[tuple[Path, str]]:
    """Each file with its source path for the custody record: relative to the folder
    given (`sub/memo.md`), or the name of a file given by itself."""
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith(".") and name not in SKIP_NAMES:
                        found = Path(root) / name
                        yield found, found.relative_to(path).as_posix()
        elif path.is_file():
            yield path, path.name


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
    path, size, digests = spool_digests(_blocks_within(source, max_bytes), tmp_dir=tmp_dir,
                                        prefix="ingest-")
    return SpooledFile("files", source.name, path, size, digests.sha256, md5=digests.md5,
                       sha1=digests.sha1)


def store_files(runtime: Runtime, *, workspace_id: str, collection_name: str,
                kind: CollectionKind, paths: list[Path], console: Console,
                custodian: str | None = None) -> tuple[IngestReport, dict[str, Path]]:
    report = IngestReport()
    pending: dict[str, Path] = {}
    files = list(iter_sources(paths))
    uploader = _uploader()
    with transaction(runtime.sessions) as session:
        collection = collections_service.find_collection_by_name(
            session=session, workspace_id=workspace_id, name=collection_name)
        if collection is None:
            collection = collections_service.create_collection(
                session=session, principal=Principal.command(workspace_id, _uploader()),
                name=collection_name, kind=kind)
        collection_id = collection.id
        # One batch for the run: files are stored one transaction each, all into it.
        report.batch_id = progress_service.open_batch(
            session=session, workspace_id=workspace_id, collection_id=collection_id,
            via="cli", file_count=len(files), label=uploader).id
    with _progress(console) as progress:
        task = progress.add_task("storing", total=len(files))
        for path, source_path in files:
            progress.update(task, description=f"storing {path.name[:40]}")
            try:
                spooled = spool_copy(path, runtime.settings.tmp_dir,
                                     runtime.settings.max_upload_bytes)
                try:
                    with transaction(runtime.sessions) as session:
                        accepted = ingest_service.accept_uploads(
                            session=session, runtime=runtime, workspace_id=workspace_id,
                            collection_id=collection_id, files=[spooled],
                            arrival=Arrival(via="cli", custodian=custodian,
                                            source_path=_printable(source_path),
                                            label=uploader),
                            batch_id=report.batch_id)[0]
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


def _uploader() -> str:
    """Who ran the command, for the custody record: the operating-system account."""
    try:
        return f"casework ingest ({getpass.getuser()})"[:320]
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return "casework ingest"


def _printable(path: str) -> str:
    # A file name may hold anything but "/" and NUL; a report line must not.
    return "".join(ch if ch.isprintable() else "?" for ch in path)[:MAX_SOURCE_PATH]


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


MAX_MEMBER_FAILURES = 20  # failed members named in the report; the rest are counted


def wait_for_members(runtime: Runtime, *, workspace_id: str, collection_name: str,
                     since: datetime, report: IngestReport, console: Console,
                     wait_for_vectors: bool) -> None:
    """Follow the documents found inside the files (a mailbox's messages, an archive's
    files, their attachments) until each is done, as `wait_for_documents` does for the
    files themselves. Counted, not listed: a mailbox may hold a million messages."""
    with transaction(runtime.read_sessions) as session:
        collection = collections_service.find_collection_by_name(
            session=session, workspace_id=workspace_id, name=collection_name)
    if collection is None:
        return
    members = (Document.workspace_id == workspace_id,
               Document.collection_id == collection.id, Document.created_at >= since,
               Document.parent_document_id.is_not(None))
    settled = Document.status.in_((DocumentStatus.ready, DocumentStatus.failed))
    finished = settled & (Document.preview_status != PreviewStatus.pending)
    if wait_for_vectors:
        finished &= Document.embedding_status != EmbeddingStatus.pending
    with _progress(console) as progress:
        keyword = progress.add_task("files inside them: keyword-searchable", total=None)
        done_task = progress.add_task("files inside them: done", total=None)
        while True:
            with transaction(runtime.read_sessions) as session:
                total, searchable, done = session.execute(select(
                    func.count(), func.count().filter(settled), func.count().filter(finished)
                ).where(*members)).one()
            progress.update(keyword, total=total, completed=searchable)
            progress.update(done_task, total=total, completed=done)
            if done >= total:
                break
            time.sleep(1.0)
        report.members = total
        with transaction(runtime.read_sessions) as session:
            failed = session.execute(select(Document.filename, Document.error).where(
                *members, Document.status == DocumentStatus.failed
            ).limit(MAX_MEMBER_FAILURES)).all()
    report.failed += [(Path(name), error or "failed") for name, error in failed]


def print_report(report: IngestReport, console: Console) -> None:
    console.print(f"[green]{len(report.ingested)} ingested[/green], "
                  f"[yellow]{len(report.duplicates)} duplicate[/yellow], "
                  f"[red]{len(report.failed)} failed[/red]"
                  + (f", {report.members} files inside them" if report.members else ""))
    if report.failed:
        table = Table("file", "reason", title="failed", title_justify="left")
        for path, reason in report.failed:
            table.add_row(str(path), reason)
        console.print(table)


def print_batch_progress(runtime: Runtime, *, workspace_id: str, report: IngestReport,
                         console: Console) -> None:
    """The run's batch as `casework progress --batch` shows it: stage counts (vectors and
    entities may still be queued for the server) and the failures with their reasons."""
    if report.batch_id is None:
        return
    with transaction(runtime.read_sessions) as session:
        scope = progress_service.batch_scope(session=session, workspace_id=workspace_id,
                                             batch_id=report.batch_id)
    print_progress(read_progress(runtime, scope, failures_limit=20), console)
    console.print(f"[dim]batch {report.batch_id}: `casework progress --batch "
                  f"{report.batch_id}` shows it again, `--retry-failed` retries the "
                  "failures[/dim]")


def ingest(
    paths: Annotated[list[Path], typer.Argument(exists=True, help="Files or folders.")],
    collection: Annotated[str, typer.Option("--collection", "-c", help="Collection name "
                                            "(created if missing).")],
    kind: Annotated[CollectionKind, typer.Option(help="Kind of a new collection.")] =
    CollectionKind.case,
    workspace: WorkspaceOpt = workspaces_service.DEFAULT_SLUG,
    wait_for_vectors: Annotated[bool, typer.Option(help="Also wait for semantic indexing.")]
    = True,
    custodian: Annotated[str | None, typer.Option(
        help="Whose files these are, for each file's custody record (up to 200 "
        "characters).")] = None,
) -> None:
    """Ingest files and folders (recursively) and report ingested, duplicate and failed."""
    console = Console()
    try:
        custodian = clean_field(custodian, name="custodian", limit=MAX_CUSTODIAN)
    except CaseworkError as exc:
        err_console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from None
    runtime = open_runtime(load_cli_settings())
    try:
        ws_id = workspace_id(runtime, workspace)
        # Workers first: each file is processed as soon as it is stored, not after the last.
        own_workers = start_workers(runtime, band=OWN_JOBS)
        since = utcnow()
        report, pending = store_files(
            runtime, workspace_id=ws_id, collection_name=collection, kind=kind,
            paths=paths, console=console, custodian=custodian)
        if pending:
            wait_for_documents(runtime, workspace_id=ws_id, pending=pending, report=report,
                               console=console, wait_for_vectors=wait_for_vectors,
                               own_workers=own_workers)
            wait_for_members(runtime, workspace_id=ws_id, collection_name=collection,
                             since=since, report=report, console=console,
                             wait_for_vectors=wait_for_vectors)
        print_report(report, console)
        print_batch_progress(runtime, workspace_id=ws_id, report=report, console=console)
        if own_workers and report.ingested and runtime.settings.entity_extraction:
            console.print("[dim]people, places and dates are extracted by `casework serve` "
                          "(queued)[/dim]")
    finally:
        runtime.close()
    if report.failed:
        raise typer.Exit(1)
