"""The pgvector table, set up whenever the server can have it, not only when 0004 ran.

An Alembic revision runs once per database, but whether the server offers the `vector`
extension can change afterwards (a DBA installs the package). So every migration run
(`casework migrate`, and every start, which migrates) checks again: when the extension can
be had and `chunk_vector` is missing, it is created and filled from the vectors already
stored in `embedding`, in one transaction, so a crash leaves either nothing or all of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError

DIMENSIONS = 384  # all-MiniLM-L6-v2; the column type fixes it
COPY_BATCH = 1000
# Serialises the check-and-create of processes starting at once (pg_advisory_xact_lock).
LOCK_KEY = 0x63617365_76656331  # "casevec1"

# The same table and indexes as migration 0004 creates (a frozen copy lives there).
TABLE = [
    f"CREATE TABLE chunk_vector ("
    f" chunk_id integer NOT NULL,"
    f" workspace_id varchar(32) NOT NULL,"
    f" embedding vector({DIMENSIONS}) NOT NULL,"
    f" CONSTRAINT pk_chunk_vector PRIMARY KEY (chunk_id),"
    f" CONSTRAINT fk_chunk_vector_chunk_id_chunk FOREIGN KEY (chunk_id)"
    f"  REFERENCES chunk (id) ON DELETE CASCADE,"
    f" CONSTRAINT fk_chunk_vector_workspace_id_workspace FOREIGN KEY (workspace_id)"
    f"  REFERENCES workspace (id) ON DELETE CASCADE)",
    "CREATE INDEX ix_chunk_vector_workspace_id ON chunk_vector (workspace_id)",
    "CREATE INDEX ix_chunk_vector_embedding ON chunk_vector "
    "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)",
]


@dataclass(frozen=True, slots=True)
class VectorTable:
    """Whether `chunk_vector` exists now, whether this call made it, and if not, why not."""

    ready: bool
    created: bool = False
    copied: int = 0
    reason: str | None = None


def ensure_vector_table(engine: Engine, *, model: str) -> VectorTable:
    """Create `chunk_vector` if the server offers pgvector and it is missing. Idempotent.

    Never raises for a missing or forbidden extension: keyword search must keep working,
    so the reason is returned for the runtime to show wherever semantic search is asked for.
    """
    if engine.dialect.name != "postgresql":
        return VectorTable(ready=False, reason="pgvector needs PostgreSQL")
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        if inspect(conn).has_table("chunk_vector"):
            return VectorTable(ready=True)
        if not conn.scalar(text(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")):
            return VectorTable(ready=False, reason=(
                "this PostgreSQL server has no pgvector extension (the package is not "
                "installed on the server)"))
        problem = _enable_extension(conn)
        if problem is not None:
            return VectorTable(ready=False, reason=problem)
        for statement in TABLE:
            conn.execute(text(statement))
        copied = _copy_stored_vectors(conn, model=model)
    return VectorTable(ready=True, created=True, copied=copied)


def _enable_extension(conn: Connection) -> str | None:
    """CREATE EXTENSION unless a DBA already did; the reason it failed, else None.

    pgvector is not a trusted extension: only a superuser (or the owner of a database
    where a superuser created it) gets past this, and many DBAs prefer to run it themselves.
    """
    if conn.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")):
        return None
    try:
        with conn.begin_nested():  # a failure must not abort the surrounding transaction
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
    except DBAPIError as exc:
        database = conn.scalar(text("SELECT current_database()"))
        role = conn.scalar(text("SELECT current_user"))
        detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        return (f"pgvector is installed on the server, but role {role!r} could not enable "
                f"it in database {database!r} ({detail}): have a superuser run "
                f"`CREATE EXTENSION vector;` in that database, then run `casework migrate`")
    return None


def copy_missing_vectors(engine: Engine, *, model: str) -> int:
    """Add stored vectors that `chunk_vector` lacks: a process that ran the on-disk index
    until it noticed pgvector may have embedded passages after the table was filled."""
    with engine.begin() as conn:
        return _copy_stored_vectors(conn, model=model, only_missing=True)


STORED_VECTORS = text(
    "SELECT c.id, c.workspace_id, e.vector FROM chunk c JOIN embedding e "
    "ON e.workspace_id = c.workspace_id AND e.content_hash = c.content_hash "
    "WHERE e.model = :model AND e.dimensions = :dimensions AND c.id > :after "
    "ORDER BY c.id LIMIT :batch")
MISSING_VECTORS = text(
    "SELECT c.id, c.workspace_id, e.vector FROM chunk c JOIN embedding e "
    "ON e.workspace_id = c.workspace_id AND e.content_hash = c.content_hash "
    "WHERE e.model = :model AND e.dimensions = :dimensions AND c.id > :after "
    "AND NOT EXISTS (SELECT 1 FROM chunk_vector v WHERE v.chunk_id = c.id) "
    "ORDER BY c.id LIMIT :batch")


def _copy_stored_vectors(conn: Connection, *, model: str, only_missing: bool = False) -> int:
    """Fill `chunk_vector` from `embedding` (vectors made while the on-disk index served).

    Page by chunk id, so memory stays flat however many vectors there are.
    """
    query = MISSING_VECTORS if only_missing else STORED_VECTORS
    copied, after = 0, 0
    while True:
        rows = conn.execute(query, {"model": model, "dimensions": DIMENSIONS,
                                    "after": after, "batch": COPY_BATCH}).all()
        if not rows:
            return copied
        conn.execute(text(
            "INSERT INTO chunk_vector (chunk_id, workspace_id, embedding) "
            "VALUES (:chunk_id, :workspace_id, CAST(:embedding AS vector)) "
            "ON CONFLICT (chunk_id) DO NOTHING"),
            [{"chunk_id": chunk_id, "workspace_id": workspace_id,
              "embedding": _literal(np.frombuffer(blob, dtype=np.float32))}
             for chunk_id, workspace_id, blob in rows])
        copied += len(rows)
        after = rows[-1][0]


def _literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{float(x):.7g}" for x in vector) + "]"
