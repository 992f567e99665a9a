"""SQLite: one FTS5 table per workspace instead of one for all (issue #15, items 2 and 3).

BM25 statistics and the newest-rows floor of a broad query came from the one shared
table, so one tenant's volume changed what another found and how it scored. Each
workspace now gets `chunk_fts_<workspace id>` with triggers that index only its chunks
(search/keyword_tables.py); existing chunks are copied into their workspace's table and
the shared table goes. PostgreSQL is unchanged (its index is a column of `chunk`).

The statements are frozen here rather than imported, so this migration keeps doing what
it did when the application code moves on.

Revision ID: 0009_fts_workspace
Revises: 0008_token_chunks
Create Date: 2026-12-06
"""

# ruff: noqa: S608 - the only interpolated names are workspace ids checked as [0-9A-Za-z]+

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_fts_workspace"
down_revision: str | Sequence[str] | None = "0008_token_chunks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENIZER = "porter unicode61 remove_diacritics 2"
SHARED_TRIGGERS = ("chunk_fts_insert", "chunk_fts_delete", "chunk_fts_update")


def _workspace_ids() -> list[str]:
    ids = list(op.get_bind().execute(sa.text("SELECT id FROM workspace ORDER BY id")).scalars())
    for workspace_id in ids:
        if not re.fullmatch(r"[0-9A-Za-z]{1,64}", workspace_id):
            raise RuntimeError(f"workspace id {workspace_id!r} cannot name a table")
    return ids


def _create(workspace_id: str) -> list[str]:
    """The workspace's table and triggers, filled from its chunks; from scratch, so a rerun
    after a half-made table never indexes a chunk twice."""
    fts, mine = f"chunk_fts_{workspace_id}", f"'{workspace_id}'"
    return [
        *_drop(workspace_id),
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
        f"INSERT INTO {fts}(rowid, text) SELECT id, text FROM chunk "
        f"WHERE workspace_id = {mine} ORDER BY id",
    ]


def _drop(workspace_id: str) -> list[str]:
    fts = f"chunk_fts_{workspace_id}"
    return [f"DROP TRIGGER IF EXISTS {fts}_{event}" for event in ("insert", "delete", "update")
            ] + [f"DROP TABLE IF EXISTS {fts}"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in SHARED_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS chunk_fts")
    for workspace_id in _workspace_ids():
        for statement in _create(workspace_id):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for workspace_id in _workspace_ids():
        for statement in _drop(workspace_id):
            op.execute(statement)
    op.execute("CREATE VIRTUAL TABLE chunk_fts USING fts5(text, content='chunk', "
               f"content_rowid='id', tokenize='{TOKENIZER}')")
    op.execute("CREATE TRIGGER chunk_fts_insert AFTER INSERT ON chunk BEGIN "
               "INSERT INTO chunk_fts(rowid, text) VALUES (new.id, new.text); END")
    op.execute("CREATE TRIGGER chunk_fts_delete AFTER DELETE ON chunk BEGIN "
               "INSERT INTO chunk_fts(chunk_fts, rowid, text) "
               "VALUES ('delete', old.id, old.text); END")
    op.execute("CREATE TRIGGER chunk_fts_update AFTER UPDATE OF text ON chunk BEGIN "
               "INSERT INTO chunk_fts(chunk_fts, rowid, text) "
               "VALUES ('delete', old.id, old.text); "
               "INSERT INTO chunk_fts(rowid, text) VALUES (new.id, new.text); END")
    op.execute("INSERT INTO chunk_fts(chunk_fts) VALUES ('rebuild')")
