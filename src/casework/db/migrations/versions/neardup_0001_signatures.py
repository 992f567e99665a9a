"""Near-duplicates (neardup/): each document's MinHash signature and group, and its LSH
band keys. New tables only; documents stored before get theirs when reprocessed.

Revision ID: neardup_0001
Revises: 0001
Create Date: 2026-12-06 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "neardup_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "document_signature",
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.String(length=32), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        _fk("document_signature", "document_id", "document"),
        _fk("document_signature", "workspace_id", "workspace"),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_document_signature")),
    )
    op.create_index("ix_document_signature_group", "document_signature",
                    ["workspace_id", "group_id"], unique=False)
    op.create_table(
        "signature_band",
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("band_key", sa.String(length=24), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        _fk("signature_band", "document_id", "document"),
        _fk("signature_band", "workspace_id", "workspace"),
        sa.PrimaryKeyConstraint("document_id", "band_key", name=op.f("pk_signature_band")),
    )
    op.create_index("ix_signature_band_key", "signature_band", ["workspace_id", "band_key"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_signature_band_key", table_name="signature_band")
    op.drop_table("signature_band")
    op.drop_index("ix_document_signature_group", table_name="document_signature")
    op.drop_table("document_signature")
