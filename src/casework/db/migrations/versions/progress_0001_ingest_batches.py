"""Ingest batches: one row per upload request or `casework ingest` run, and the documents
each brought (progress/). New tables only: `document` is not touched.

Revision ID: progress_0001
Revises: 0001
Create Date: 2026-12-06 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "progress_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ingest_batch",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("collection_id", sa.String(length=32), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("created_by_user_id", sa.String(length=32), nullable=True),
        sa.Column("created_by_api_key_id", sa.String(length=32), nullable=True),
        sa.Column("created_by_label", sa.String(length=320), nullable=True),
        sa.Column("file_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"],
                                name=op.f("fk_ingest_batch_workspace_id_workspace"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["collection_id"], ["collection.id"],
                                name=op.f("fk_ingest_batch_collection_id_collection"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_batch")),
    )
    op.create_index("ix_ingest_batch_collection", "ingest_batch",
                    ["workspace_id", "collection_id", "created_at"], unique=False)
    op.create_table(
        "ingest_batch_document",
        sa.Column("batch_id", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("duplicate", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["ingest_batch.id"],
                                name=op.f("fk_ingest_batch_document_batch_id_ingest_batch"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"],
                                name=op.f("fk_ingest_batch_document_document_id_document"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"],
                                name=op.f("fk_ingest_batch_document_workspace_id_workspace"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("batch_id", "document_id", name=op.f("pk_ingest_batch_document")),
    )
    op.create_index("ix_ingest_batch_document_document", "ingest_batch_document",
                    ["document_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ingest_batch_document_document", table_name="ingest_batch_document")
    op.drop_table("ingest_batch_document")
    op.drop_index("ix_ingest_batch_collection", table_name="ingest_batch")
    op.drop_table("ingest_batch")
