"""A partial index on mail_message.duplicate_of_document_id: the thread page lists each
message's copies, and without it every page load scanned every message of the case.

Revision ID: mail_0002
Revises: mail_0001
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "mail_0002"
down_revision: str | None = "mail_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PRESENT = sa.text("duplicate_of_document_id IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_mail_message_duplicate_of", "mail_message",
                    ["workspace_id", "duplicate_of_document_id"],
                    sqlite_where=_PRESENT, postgresql_where=_PRESENT)


def downgrade() -> None:
    op.drop_index("ix_mail_message_duplicate_of", table_name="mail_message")
