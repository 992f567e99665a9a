"""Exports: one row per requested archive of a collection or a selection (exports/).

Revision ID: exports_0001
Revises: 0001
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "exports_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "export",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("collection_id", sa.String(length=32), nullable=False),
        sa.Column("requested_by_user_id", sa.String(length=32), nullable=True),
        sa.Column("requested_by_label", sa.String(length=320), nullable=True),
        sa.Column("include", sa.JSON(), nullable=False),
        sa.Column("strip_gps", sa.Boolean(), nullable=False),
        sa.Column("document_ids", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("files_total", sa.Integer(), nullable=False),
        sa.Column("files_done", sa.Integer(), nullable=False),
        sa.Column("bytes_total", sa.BigInteger(), nullable=False),
        sa.Column("bytes_done", sa.BigInteger(), nullable=False),
        sa.Column("blob_key", sa.String(length=300), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("key_fingerprint", sa.String(length=80), nullable=True),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"],
                                name=op.f("fk_export_workspace_id_workspace"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["collection_id"], ["collection.id"],
                                name=op.f("fk_export_collection_id_collection"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export")),
    )
    with op.batch_alter_table("export", schema=None) as batch_op:
        batch_op.create_index("ix_export_workspace_collection",
                              ["workspace_id", "collection_id", "created_at"], unique=False)
        batch_op.create_index("ix_export_created", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("export", schema=None) as batch_op:
        batch_op.drop_index("ix_export_created")
        batch_op.drop_index("ix_export_workspace_collection")
    op.drop_table("export")
