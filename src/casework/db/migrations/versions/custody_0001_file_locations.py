"""Chain of custody: MD5 and SHA-1 beside each document's SHA-256, and a file location per
arrival of its bytes (custody/). Documents already stored get one location, their first
arrival as the document table knew it (no uploader, no custodian); their MD5 and SHA-1
come from `casework custody backfill`, which streams the originals.

Revision ID: custody_0001
Revises: 0002_media
Create Date: 2026-12-14 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "custody_0001"
down_revision: str | None = "0002_media"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Never recreate `document` on SQLite: that cascades deletes to its pages and chunks.
    with op.batch_alter_table("document", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("md5", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("sha1", sa.String(length=40), nullable=True))
    op.create_table(
        "document_location",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("collection_id", sa.String(length=32), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("source_path", sa.String(length=1024), nullable=True),
        sa.Column("custodian", sa.String(length=200), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("uploaded_by_user_id", sa.String(length=32), nullable=True),
        sa.Column("uploaded_by_api_key_id", sa.String(length=32), nullable=True),
        sa.Column("uploaded_by_label", sa.String(length=320), nullable=True),
        sa.Column("parent_document_id", sa.String(length=32), nullable=True),
        sa.Column("duplicate", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"],
                                name=op.f("fk_document_location_workspace_id_workspace"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"],
                                name=op.f("fk_document_location_document_id_document"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["collection_id"], ["collection.id"],
                                name=op.f("fk_document_location_collection_id_collection"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_location")),
    )
    op.create_index("ix_document_location_document", "document_location",
                    ["document_id", "received_at"], unique=False)
    op.execute(
        "INSERT INTO document_location (workspace_id, document_id, collection_id, filename, "
        "received_at, via, parent_document_id, duplicate) "
        "SELECT workspace_id, id, collection_id, filename, created_at, 'before-custody', "
        "parent_document_id, false FROM document")


def downgrade() -> None:
    op.drop_index("ix_document_location_document", table_name="document_location")
    op.drop_table("document_location")
    with op.batch_alter_table("document", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("sha1")
        batch_op.drop_column("md5")
