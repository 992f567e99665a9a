"""The keyword change log: what the tantivy keyword index has yet to apply.

One row per chunk written or deleted, inserted by triggers on `chunk` in the same
transaction (search/keyword_log.py creates the triggers only while KEYWORD_ENGINE=tantivy,
so the log never grows when nothing reads it). Empty on creation; the tantivy indexes are
built from `chunk` the first time the engine starts.

Revision ID: search_0001
Revises: 0010_pg_words_in_paths
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "search_0001"
down_revision: str | Sequence[str] | None = "0010_pg_words_in_paths"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGERS = ("keyword_change_insert", "keyword_change_delete", "keyword_change_update")


def upgrade() -> None:
    op.create_table(
        "keyword_change",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.String(32), nullable=False),
        sa.Column("chunk_id", sa.Integer(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_keyword_change_workspace", "keyword_change", ["workspace_id", "id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.drop_index("ix_keyword_change_workspace", table_name="keyword_change")
    op.drop_table("keyword_change")
