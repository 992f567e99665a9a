"""A partial index on the grouped signatures: the near-duplicates page reads only them,
and the full (workspace, group) index, mostly NULL groups, made ANALYZE prefer a scan of
every signature of the case.

Revision ID: neardup_0002
Revises: neardup_0001
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "neardup_0002"
down_revision: str | None = "neardup_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PRESENT = sa.text("group_id IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_document_signature_grouped", "document_signature",
                    ["workspace_id", "group_id"],
                    sqlite_where=_PRESENT, postgresql_where=_PRESENT)


def downgrade() -> None:
    op.drop_index("ix_document_signature_grouped", table_name="document_signature")
