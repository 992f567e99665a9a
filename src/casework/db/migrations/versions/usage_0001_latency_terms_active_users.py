"""Usage analytics: a histogram of search times, search terms with a rough count of their
searchers, and the active users of each day (usage/models.py).

Revision ID: usage_0001
Revises: 0001
Create Date: 2026-12-12 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "usage_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"],
                                   name=op.f(f"fk_{table}_workspace_id_workspace"),
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "usage_search_latency",
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("searches", sa.Integer(), nullable=False),
        _workspace_fk("usage_search_latency"),
        sa.PrimaryKeyConstraint("workspace_id", "day", "bucket",
                                name=op.f("pk_usage_search_latency")),
    )
    op.create_table(
        "usage_term",
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("term", sa.String(length=40), nullable=False),
        sa.Column("searches", sa.Integer(), nullable=False),
        sa.Column("people", sa.BigInteger(), nullable=False),
        _workspace_fk("usage_term"),
        sa.PrimaryKeyConstraint("workspace_id", "day", "term", name=op.f("pk_usage_term")),
    )
    op.create_table(
        "usage_active_user",
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        _workspace_fk("usage_active_user"),
        sa.PrimaryKeyConstraint("workspace_id", "day", "user_id",
                                name=op.f("pk_usage_active_user")),
    )


def downgrade() -> None:
    op.drop_table("usage_active_user")
    op.drop_table("usage_term")
    op.drop_table("usage_search_latency")
