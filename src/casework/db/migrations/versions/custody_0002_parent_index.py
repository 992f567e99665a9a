"""A partial index on document_location's parent: the document page lists a container's
members, and without it every page load scanned every location of the case.

Revision ID: custody_0002
Revises: custody_0001
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "custody_0002"
down_revision: str | None = "custody_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PRESENT = sa.text("parent_document_id IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_document_location_parent", "document_location",
                    ["workspace_id", "parent_document_id"],
                    sqlite_where=_PRESENT, postgresql_where=_PRESENT)


def downgrade() -> None:
    op.drop_index("ix_document_location_parent", table_name="document_location")
