"""The keyword change log on PostgreSQL: each change's transaction and time, and the
horizon of what was pruned (search/keyword_log_pg.py).

PostgreSQL commits transactions in any order, so its readers follow the log by
transaction horizon rather than by id; every process keeps an index of its own, so the
log is pruned by age and `keyword_horizon` says how far. Unused (NULL, empty) on SQLite.

Revision ID: search_0002
Revises: search_0001
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "search_0002"
down_revision: str | Sequence[str] | None = "search_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both: a batch copy of the table on SQLite would fail while the
    # triggers on `chunk` name it (search/keyword_log.py).
    op.add_column("keyword_change", sa.Column("txid", sa.BigInteger(), nullable=True))
    op.add_column("keyword_change",
                  sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_keyword_change_txid", "keyword_change", ["workspace_id", "txid"])
    op.create_index("ix_keyword_change_created", "keyword_change",
                    ["workspace_id", "created_at"])
    op.create_table(
        "keyword_horizon",
        sa.Column("workspace_id", sa.String(32), primary_key=True),
        sa.Column("pruned_through", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for trigger in ("keyword_change_insert", "keyword_change_delete",
                        "keyword_change_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON chunk")
        op.execute("DROP FUNCTION IF EXISTS keyword_change_rows()")
        op.execute("DROP FUNCTION IF EXISTS keyword_change_row()")
    op.drop_table("keyword_horizon")
    op.drop_index("ix_keyword_change_created", table_name="keyword_change")
    op.drop_index("ix_keyword_change_txid", table_name="keyword_change")
    # SQLite drops a column in place since 3.35 (no index names it by now); alembic's
    # batch mode would copy the table, which the triggers on `chunk` forbid.
    for column in ("created_at", "txid"):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE keyword_change DROP COLUMN {column}")
        else:
            op.drop_column("keyword_change", column)
