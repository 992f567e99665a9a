"""One FTS5 table per workspace on SQLite: created with the workspace, dropped with it.

FTS5's BM25 takes its statistics (row count, mean length, each word's row count) from the
whole table it ranks in. With one table for every workspace, one tenant's passages moved
another's scores (a score told how many passages elsewhere held a word) and its volume
decided which of another's rows a broad query ranked. A table per workspace holds only
that workspace's rows, so its statistics, its newest rows and its matches are the
workspace's own by construction (docs/architecture.md, "Keyword index per workspace").

Each table is external-content (the text stays in `chunk`) and is kept in step by three
triggers on `chunk` that fire only for the workspace's rows, so every write path (ingest,
notes, deletes cascading from a document or collection) indexes as before, in the same
transaction. PostgreSQL needs none of this: its index is a column of `chunk`.
"""

# ruff: noqa: S608 - the only interpolated names are workspace ids checked as [0-9A-Za-z]+

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.orm import Session

_WORKSPACE_ID = re.compile(r"[0-9A-Za-z]{1,64}")
TOKENIZER = "porter unicode61 remove_diacritics 2"


def keyword_table(workspace_id: str) -> str:
    """The FTS5 table of the workspace: an identifier, checked before it enters any SQL."""
    if not _WORKSPACE_ID.fullmatch(workspace_id):
        raise ValueError(f"not a workspace id: {workspace_id!r}")
    return f"chunk_fts_{workspace_id}"


def create_statements(workspace_id: str) -> list[str]:
    """The table and its triggers; idempotent. Ids are checked by `keyword_table`."""
    fts = keyword_table(workspace_id)
    mine = f"'{workspace_id}'"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(text, content='chunk', "
        f"content_rowid='id', tokenize='{TOKENIZER}')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_insert AFTER INSERT ON chunk "
        f"WHEN new.workspace_id = {mine} BEGIN "
        f"INSERT INTO {fts}(rowid, text) VALUES (new.id, new.text); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_delete AFTER DELETE ON chunk "
        f"WHEN old.workspace_id = {mine} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, text) VALUES ('delete', old.id, old.text); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_update AFTER UPDATE OF text ON chunk "
        f"WHEN new.workspace_id = {mine} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, text) VALUES ('delete', old.id, old.text); "
        f"INSERT INTO {fts}(rowid, text) VALUES (new.id, new.text); END",
    ]


def drop_statements(workspace_id: str) -> list[str]:
    fts = keyword_table(workspace_id)
    return [f"DROP TRIGGER IF EXISTS {fts}_{event}" for event in ("insert", "delete", "update")
            ] + [f"DROP TABLE IF EXISTS {fts}"]


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def create_keyword_table(*, session: Session, workspace_id: str) -> None:
    """Give a new workspace its keyword index (SQLite; in the caller's transaction)."""
    if _is_sqlite(session):
        for statement in create_statements(workspace_id):
            session.execute(text(statement))


def drop_keyword_table(*, session: Session, workspace_id: str) -> None:
    """Drop a deleted workspace's keyword index first, so its chunks go without reindexing."""
    if _is_sqlite(session):
        for statement in drop_statements(workspace_id):
            session.execute(text(statement))
