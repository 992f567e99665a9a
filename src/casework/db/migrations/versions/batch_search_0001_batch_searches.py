"""Batch searches (batch_search/models.py): a CSV's terms, the run's state, each term's
counts.

Revision ID: batch_search_0001
Revises: 0001
Create Date: 2026-12-06 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "batch_search_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "batch_search",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("collection_id", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=True),
        sa.Column("documents_hit", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_by_user_id", sa.String(length=32), nullable=True),
        sa.Column("created_by_label", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"],
                                name=op.f("fk_batch_search_workspace_id_workspace"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["collection_id"], ["collection.id"],
                                name=op.f("fk_batch_search_collection_id_collection"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_search")),
    )
    op.create_index("ix_batch_search_workspace_created", "batch_search",
                    ["workspace_id", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_batch_search_workspace_created", table_name="batch_search")
    op.drop_table("batch_search")
