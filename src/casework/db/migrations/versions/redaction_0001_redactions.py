"""Redactions of PDF pages, a workspace's redaction reasons, redacted copies (redaction/).

Revision ID: redaction_0001
Revises: 0002_media
Create Date: 2026-12-06 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "redaction_0001"
down_revision: str | None = "0002_media"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owned(table: str, *columns: sa.Column, document: bool = True) -> None:
    constraints = [
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"],
                                name=op.f(f"fk_{table}_workspace_id_workspace"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]
    if document:
        constraints.append(sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name=op.f(f"fk_{table}_document_id_document"),
            ondelete="CASCADE"))
    op.create_table(table, sa.Column("id", sa.String(length=32), nullable=False),
                    sa.Column("workspace_id", sa.String(length=32), nullable=False),
                    *columns, *constraints)


def _who() -> tuple[sa.Column, ...]:
    return (sa.Column("created_by_user_id", sa.String(length=32), nullable=True),
            sa.Column("created_by_label", sa.String(length=320), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))


def upgrade() -> None:
    _owned("redaction_reason",
           sa.Column("label", sa.String(length=120), nullable=False),
           sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
           document=False)
    op.create_index("ix_redaction_reason_workspace", "redaction_reason",
                    ["workspace_id", "label"], unique=True)
    _owned("redaction",
           sa.Column("document_id", sa.String(length=32), nullable=False),
           sa.Column("page", sa.Integer(), nullable=False),
           sa.Column("x0", sa.Float(), nullable=False),
           sa.Column("y0", sa.Float(), nullable=False),
           sa.Column("x1", sa.Float(), nullable=False),
           sa.Column("y1", sa.Float(), nullable=False),
           sa.Column("reason", sa.String(length=120), nullable=False),
           sa.Column("source", sa.String(length=16), nullable=False),
           sa.Column("found_by", sa.String(length=120), nullable=True),
           *_who())
    op.create_index("ix_redaction_document", "redaction",
                    ["workspace_id", "document_id", "page"], unique=False)
    _owned("redacted_copy",
           sa.Column("document_id", sa.String(length=32), nullable=False),
           sa.Column("blob_key", sa.String(length=300), nullable=False),
           sa.Column("sha256", sa.String(length=64), nullable=False),
           sa.Column("size_bytes", sa.BigInteger(), nullable=False),
           sa.Column("page_count", sa.Integer(), nullable=False),
           sa.Column("redacted_pages", sa.JSON(), nullable=False),
           sa.Column("redaction_count", sa.Integer(), nullable=False),
           sa.Column("fingerprint", sa.String(length=64), nullable=False),
           sa.Column("verified", sa.Boolean(), nullable=False),
           sa.Column("verification", sa.JSON(), nullable=False),
           *_who())
    op.create_index("ix_redacted_copy_document", "redacted_copy",
                    ["workspace_id", "document_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_redacted_copy_document", table_name="redacted_copy")
    op.drop_table("redacted_copy")
    op.drop_index("ix_redaction_document", table_name="redaction")
    op.drop_table("redaction")
    op.drop_index("ix_redaction_reason_workspace", table_name="redaction_reason")
    op.drop_table("redaction_reason")
