"""Legal holds (holds/models.py): one row per hold on a collection or a custodian, kept
after release with who released it, when and why.

Revision ID: holds_0001
Revises: 0001
Create Date: 2026-12-06 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "holds_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "legal_hold",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("matter", sa.String(length=1000), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("collection_id", sa.String(length=32), nullable=True),
        sa.Column("target_label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.String(length=32), nullable=True),
        sa.Column("created_by_label", sa.String(length=320), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by_user_id", sa.String(length=32), nullable=True),
        sa.Column("released_by_label", sa.String(length=320), nullable=True),
        sa.Column("release_reason", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"],
                                name=op.f("fk_legal_hold_workspace_id_workspace"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["collection_id"], ["collection.id"],
                                name=op.f("fk_legal_hold_collection_id_collection"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_hold")),
    )
    op.create_index("ix_legal_hold_workspace_released", "legal_hold",
                    ["workspace_id", "released_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_legal_hold_workspace_released", table_name="legal_hold")
    op.drop_table("legal_hold")
