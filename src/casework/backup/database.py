"""Consistent database snapshots and their restore: SQLite's online backup API, pg_dump.

Both take a transactionally consistent copy while casework keeps running: SQLite copies
the pages under one read snapshot, pg_dump reads in one repeatable-read transaction.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

from casework.backup.archive import BackupError

SQLITE_MEMBER = "database/casework.sqlite3"
POSTGRES_MEMBER = "database/casework.pgdump"


def dialect_of(url: str) -> str:
    return make_url(url).get_backend_name()


def member_for(dialect: str) -> str:
    if dialect == "sqlite":
        return SQLITE_MEMBER
    if dialect == "postgresql":
        return POSTGRES_MEMBER
    raise BackupError(f"backups support SQLite and PostgreSQL, not {dialect}")


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL for pg_dump/pg_restore; the password goes in the environment, not argv."""
    parsed: URL = make_url(url)
    env = dict(os.environ)  # the tools need PATH and any PG* the operator set
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(f"{what} needs `{tool}` (Debian: apt-get install postgresql-client)")
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip()[-2000:]}")


def snapshot(url: str, target: Path) -> None:
    """Write a consistent copy of the database at `url` to the file `target`."""
    dialect = dialect_of(url)
    if dialect == "sqlite":
        source = sqlite3.connect(str(sqlite_path(url)), timeout=30)
        copy = sqlite3.connect(str(target))
        try:
            source.backup(copy)  # all pages in one step: one consistent snapshot
        finally:
            copy.close()
            source.close()
    elif dialect == "postgresql":
        libpq, env = _libpq(url)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
              f"--file={target}", libpq], env, "pg_dump")
    else:
        member_for(dialect)


def holds_data(engine: Engine) -> bool:
    """Whether the installation already has documents or notes (so restore would replace)."""
    names = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        for table in ("document", "note", "collection"):
            if table in names and connection.execute(
                    text(f"SELECT 1 FROM {table} LIMIT 1")).first():  # noqa: S608 - fixed names
                return True
    return False


def restore(url: str, dump: Path) -> None:
    """Replace the database at `url` with the snapshot `dump` (casework must be stopped)."""
    dialect = dialect_of(url)
    if dialect == "sqlite":
        target = sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(dump, target)
    elif dialect == "postgresql":
        # A clean slate first: tables of a newer schema that the dump does not know would
        # otherwise survive and break the migration that follows.
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        finally:
            engine.dispose()
        libpq, env = _libpq(url)
        _run(["pg_restore", "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", f"--dbname={libpq}", str(dump)], env, "pg_restore")
    else:
        member_for(dialect)
