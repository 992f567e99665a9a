"""Productions can produce documents natively: the policy asked for and how many were.

Existing productions imaged everything: `none` and 0.

Revision ID: productions_0002
Revises: productions_0001
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "productions_0002"
down_revision: str | None = "productions_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("production", sa.Column("natives", sa.String(length=32), nullable=False,
                                          server_default="none"))
    op.add_column("production", sa.Column("native_count", sa.Integer(), nullable=False,
                                          server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("production", recreate="never") as batch_op:
        batch_op.drop_column("native_count")
        batch_op.drop_column("natives")
