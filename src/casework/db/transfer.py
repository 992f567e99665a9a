"""`casework migrate-data`: copy an embedded installation into PostgreSQL (and S3).

Stop `casework serve` first (the source is brought to the current schema, as a start
would, and otherwise only read), run this, then point the settings at the new home. Every
table is copied row for row with its ids (so blob keys, chunk ids and links stay valid),
sequences are moved past the copied ids, every table's row count is compared, and every
blob is read back from the target and checked against the SHA-256 of the source. On
PostgreSQL with pgvector, stored vectors fill `chunk_vector`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, Integer, func, insert, inspect, select, text

from casework.core.database import build_engine
from casework.core.settings import Settings
from casework.db import migrate
from casework.schema import Base
from casework.storage.blobstore import BlobStore
from casework.storage.local import LocalBlobStore
from casework.storage.spool import spool_blocks

BATCH = 1000


class MigrationError(Exception):
    """The copy cannot start or did not verify; the message says what to do."""


@dataclass
class TransferReport:
    rows: dict[str, int] = field(default_factory=dict)
    blobs: int = 0


def _rows(source: Engine, table) -> Iterator[list[dict]]:  # noqa: ANN001
    order = list(table.primary_key.columns) or list(table.columns)[:1]
    with source.connect() as conn:
        result = conn.execution_options(stream_results=True).execute(
            select(table).order_by(*order))
        while batch := result.fetchmany(BATCH):
            yield [dict(row._mapping) for row in batch]


def _copy_tables(source: Engine, target: Engine, progress: Callable[[str], None]
                 ) -> dict[str, int]:
    counts: dict[str, int] = {}
    source_tables = set(inspect(source).get_table_names())
    for table in Base.metadata.sorted_tables:  # parents before children
        if table.name not in source_tables:
            continue
        copied = 0
        with target.begin() as conn:
            for batch in _rows(source, table):
                conn.execute(insert(table), batch)
                copied += len(batch)
        counts[table.name] = copied
        progress(f"  copied {table.name}: {copied} rows")
    return counts


def _reset_sequences(target: Engine) -> None:
    with target.begin() as conn:
        for table in Base.metadata.sorted_tables:
            columns = list(table.primary_key.columns)
            if len(columns) != 1 or not isinstance(columns[0].type, Integer):
                continue
            # NULL (a no-op) for integer keys that have no sequence.
            name = columns[0].name
            conn.execute(text(  # names from our own metadata, not from input
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{name}'), "  # noqa: S608
                f"coalesce(max({name}), 0) + 1, false) FROM {table.name}"))


def _verify_counts(source: Engine, target: Engine, counts: dict[str, int]) -> None:
    for name, expected in counts.items():
        table = Base.metadata.tables[name]
        with source.connect() as conn:
            in_source = conn.scalar(select(func.count()).select_from(table))
        with target.connect() as conn:
            in_target = conn.scalar(select(func.count()).select_from(table))
        if not in_source == in_target == expected:
            raise MigrationError(f"{name}: {in_source} rows in the source, {in_target} in "
                                 "the target")


def _fill_pgvector(target: Engine) -> int:
    with target.begin() as conn:
        if not inspect(conn).has_table("chunk_vector"):
            return 0
        rows = conn.execute(text(
            "SELECT c.id, c.workspace_id, e.vector FROM chunk c JOIN embedding e "
            "ON e.workspace_id = c.workspace_id AND e.content_hash = c.content_hash")).all()
        import numpy as np

        for chunk_id, workspace_id, blob in rows:
            vector = np.frombuffer(blob, dtype=np.float32)
            conn.execute(text(
                "INSERT INTO chunk_vector (chunk_id, workspace_id, embedding) "
                "VALUES (:c, :w, CAST(:v AS vector)) ON CONFLICT (chunk_id) DO NOTHING"),
                {"c": chunk_id, "w": workspace_id,
                 "v": "[" + ",".join(f"{x:.7g}" for x in vector) + "]"})
        return len(rows)


def _copy_blobs(source: LocalBlobStore, target: BlobStore, tmp_dir: Path,
                progress: Callable[[str], None]) -> int:
    copied = 0
    for path in sorted(p for p in source.root.rglob("*") if p.is_file()):
        key = path.relative_to(source.root).as_posix()
        if key.startswith(".") or "/." in key:
            continue  # probes and half-written temp files
        staged, _size, sha256 = spool_blocks(source.open_chunks(key), tmp_dir=tmp_dir,
                                             prefix="migrate-")
        target.put_file(key, staged)  # consumes the staged copy, never the source
        check = hashlib.sha256()
        for block in target.open_chunks(key):
            check.update(block)
        if check.hexdigest() != sha256:
            raise MigrationError(f"blob {key} differs after the copy")
        copied += 1
        if copied % 500 == 0:
            progress(f"  copied {copied} blobs")
    return copied


def migrate_installation(settings: Settings, *, to_database: str,
                         to_s3_bucket: str | None = None, to_blob_dir: Path | None = None,
                         progress: Callable[[str], None] = print) -> TransferReport:
    if not settings.is_sqlite:
        raise MigrationError("the source must be an embedded installation (SQLite): unset "
                             "DATABASE_URL and point DATA_DIR at it")
    if to_database.startswith("sqlite"):
        raise MigrationError("--to-database must be a server database (PostgreSQL)")
    source = build_engine(settings.resolved_database_url)
    target = build_engine(to_database)
    try:
        migrate.upgrade(source)  # the same schema on both sides
        migrate.upgrade(target)
        with target.connect() as conn:
            if conn.scalar(text("SELECT count(*) FROM workspace")):
                raise MigrationError("the target database already holds workspaces: give an "
                                     "empty database")
        report = TransferReport()
        report.rows = _copy_tables(source, target, progress)
        _reset_sequences(target)
        _verify_counts(source, target, report.rows)
        vectors = _fill_pgvector(target)
        if vectors:
            progress(f"  indexed {vectors} vectors in pgvector")
        blobs: BlobStore | None = None
        if to_s3_bucket:
            from casework.storage.s3 import S3BlobStore

            secret = settings.s3_secret_access_key
            s3 = S3BlobStore(bucket=to_s3_bucket, endpoint_url=settings.s3_endpoint_url,
                             region=settings.s3_region,
                             access_key_id=settings.s3_access_key_id,
                             secret_access_key=secret.get_secret_value() if secret else None,
                             sse=settings.s3_sse)
            s3.ensure_bucket()
            blobs = s3
        elif to_blob_dir is not None:
            blobs = LocalBlobStore(to_blob_dir)
        if blobs is not None:
            settings.tmp_dir.mkdir(parents=True, exist_ok=True)
            report.blobs = _copy_blobs(LocalBlobStore(settings.blob_dir), blobs,
                                       settings.tmp_dir, progress)
        return report
    finally:
        source.dispose()
        target.dispose()
