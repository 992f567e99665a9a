"""Take a backup of a whole installation, and restore one into an installation.

A backup is the database snapshot first, then the blobs, then the vector index files.
Blobs are content-addressed and written before the rows that name them commit, so every
original the snapshot refers to is already stored when the blobs are copied; the vector
index is derived data that casework rebuilds from the database if it is behind. The archive
streams into its target as it is written; only the database dump is staged on local disk
(a tar member needs its size up front), under DATA_DIR.

Restore verifies the whole archive in a staging folder before it touches anything, refuses
to overwrite an installation that holds data unless told to (`force`), and then migrates,
so an archive from an older casework comes back on the current schema.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, inspect, text

from casework import __version__
from casework.backup import database
from casework.backup.archive import ArchiveWriter, BackupError, extract_verified
from casework.backup.targets import BackupTarget, StoredArchive, archive_name
from casework.db import migrate
from casework.storage.blobstore import BlobNotFound

if TYPE_CHECKING:
    from casework.runtime import Runtime

log = logging.getLogger(__name__)

INDEX_SKIP_SUFFIXES = (".tmp",)  # a vector index being saved right now
# The tantivy keyword index (KEYWORD_ENGINE=tantivy) is left out: its files change under a
# running indexer (a copy can name segments already merged away), and a restore that finds
# none rebuilds it from the restored database, which is what it must agree with.
INDEX_SKIP_DIRS = ("keyword",)


def _revisions(engine: Engine) -> list[str]:
    if "alembic_version" not in inspect(engine).get_table_names():
        return []
    with engine.connect() as connection:
        return sorted(connection.execute(text("SELECT version_num FROM alembic_version"))
                      .scalars())


def _hidden(key: str) -> bool:
    return any(part.startswith(".") for part in key.split("/"))  # probes, temp files


def _add_blobs(writer: ArchiveWriter, runtime: Runtime) -> int:
    """Copy every blob. A local store is a folder; another store must list its keys."""
    blobs: Any = runtime.blobs
    root = getattr(blobs, "root", None)
    if isinstance(root, Path):
        return writer.add_tree(root, "blobs")
    if hasattr(blobs, "iter_objects"):  # the listing carries sizes: no HEAD per blob
        listing = blobs.iter_objects()
    elif hasattr(blobs, "iter_keys"):
        listing = ((key, blobs.size(key)) for key in blobs.iter_keys())
    else:
        raise BackupError(f"{type(blobs).__name__} cannot list its blobs (no iter_keys): "
                          "back the bucket up with its own tooling")
    count = 0
    for key, size in listing:
        if _hidden(key):
            continue
        try:
            chunks = blobs.open_chunks(key)
        except BlobNotFound:
            # Deleted since the listing (a document removed during the backup): the
            # snapshot may still name it, but failing the whole backup would be worse.
            log.warning("blob vanished during the backup", extra={"key": key})
            continue
        writer.add_stream(f"blobs/{key}", size, chunks)
        count += 1
    return count


def _add_index(writer: ArchiveWriter, index_dir: Path) -> int:
    count = 0
    if index_dir.is_dir():
        for path in sorted(index_dir.rglob("*")):
            relative = path.relative_to(index_dir)
            if relative.parts[0] in INDEX_SKIP_DIRS:
                continue
            if (path.is_file() and not relative.name.startswith(".")
                    and not relative.name.endswith(INDEX_SKIP_SUFFIXES)):
                writer.add_file(path, f"index/{relative.as_posix()}")
                count += 1
    return count


def create_backup(*, runtime: Runtime, target: BackupTarget,
                  name: str | None = None) -> StoredArchive:
    """Write one archive of the database, blobs and indexes to `target`."""
    settings = runtime.settings
    url = settings.resolved_database_url
    dialect = database.dialect_of(url)
    member = database.member_for(dialect)
    name = name or archive_name(taken={a.name for a in target.list_archives()})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=settings.data_dir, prefix=".backup-"))
    flush = getattr(runtime.vector_index, "flush", None)
    try:
        if flush is not None:
            try:
                flush(force=True)  # what this process holds in memory goes in the archive
            except TypeError:
                flush()
        dump = work / "database"
        database.snapshot(url, dump)
        upload = target.begin(name)
        try:
            with ArchiveWriter(upload) as writer:  # type: ignore[arg-type]
                writer.add_file(dump, member)
                dump.unlink()
                blob_count = _add_blobs(writer, runtime)
                index_count = _add_index(writer, settings.index_dir)
                writer.finish({
                    "created_at": datetime.now(UTC).isoformat(),
                    "casework_version": __version__,
                    "database": {"dialect": dialect, "member": member,
                                 "revisions": _revisions(runtime.engine)},
                    "counts": {"blobs": blob_count, "index_files": index_count},
                })
            stored = upload.commit()
        except BaseException:
            upload.abort()
            raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("backup written", extra={"archive": stored.location, "bytes": stored.size,
                                      "blobs": blob_count, "index_files": index_count})
    return stored


def _has_files(directory: Path) -> bool:
    return directory.is_dir() and any(
        p.is_file() and not p.name.startswith(".") for p in directory.rglob("*"))


def _replace_dir(source: Path, target: Path) -> None:
    """Swap a staged folder into place by rename (same filesystem: both under DATA_DIR)."""
    old = target.with_name(f".{target.name}-replaced-{uuid.uuid4().hex[:8]}")
    if target.exists():
        target.rename(old)
    if source.is_dir():
        source.rename(target)
    else:
        target.mkdir(parents=True)
    shutil.rmtree(old, ignore_errors=True)


def _restore_blobs(runtime: Runtime, staged: Path) -> None:
    blobs: Any = runtime.blobs
    if isinstance(getattr(blobs, "root", None), Path):
        _replace_dir(staged, blobs.root)
        return
    if staged.is_dir():  # a remote store: upload each blob under its key
        for path in sorted(p for p in staged.rglob("*") if p.is_file()):
            blobs.put_file(path.relative_to(staged).as_posix(), path)


def restore_backup(*, runtime: Runtime, target: BackupTarget, name: str,
                   force: bool = False) -> dict[str, Any]:
    """Verify the archive `name` in `target`, then replace this installation's database,
    blobs and indexes with it.

    The archive is read once, as a stream, into a staging folder under DATA_DIR and
    verified there; nothing in the installation changes unless every checksum matches.
    The caller makes sure no casework process is using the installation.
    """
    settings = runtime.settings
    url = settings.resolved_database_url
    label = f"{target.location.rstrip('/')}/{name}"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=settings.data_dir, prefix=".restore-"))
    try:
        with target.open(name) as source:
            manifest = extract_verified(source, staging, label=label)
        dialect = database.dialect_of(url)
        source_db = manifest.get("database", {})
        if source_db.get("dialect") != dialect:
            raise BackupError(
                f"the archive holds a {source_db.get('dialect')} database but DATABASE_URL "
                f"is {dialect}: restore into the same kind of database")
        if not force and (database.holds_data(runtime.engine)
                          or _has_files(settings.blob_dir)):
            raise BackupError("this installation already holds data; restoring would replace "
                              "it. Run again with --force to do so.")
        runtime.engine.dispose()  # no open handle on the file being replaced
        database.restore(url, staging / source_db["member"])
        _restore_blobs(runtime, staging / "blobs")
        _replace_dir(staging / "index", settings.index_dir)
        forget = getattr(runtime.vector_index, "forget", None)
        if forget is not None:
            forget()
        migrate.upgrade(runtime.engine)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("backup restored", extra={"archive": label,
                                       "created_at": manifest.get("created_at")})
    return manifest
