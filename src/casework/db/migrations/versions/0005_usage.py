"""Usage counters per workspace and day.

Revision ID: 0005_usage
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_usage"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_day",
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("queries", sa.Integer(), nullable=False),
        sa.Column("query_ms_total", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"],
                                name=op.f("fk_usage_day_workspace_id_workspace"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("workspace_id", "day", name=op.f("pk_usage_day")),
    )


def downgrade() -> None:
    op.drop_table("usage_day")
