"""Documents say whether their previews are drawn: they now follow the text in a job of
their own (ingest/previews.py), so a document is keyword-searchable before its pictures.

Documents processed before this revision had their previews made inline: a ready PDF,
image or video is `ready`, everything else `none`.

Revision ID: 0011_preview_status
Revises: 0010_pg_words_in_paths
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_preview_status"
down_revision: str | Sequence[str] | None = "0010_pg_words_in_paths"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # recreate="never": rebuilding `document` on SQLite would cascade-delete its pages.
    with op.batch_alter_table("document", recreate="never") as batch:
        batch.add_column(sa.Column("preview_status", sa.String(length=16), nullable=False,
                                   server_default="none"))
    op.execute("UPDATE document SET preview_status = 'ready' WHERE status = 'ready' AND "
               "(media_type = 'application/pdf' OR media_type LIKE 'image/%' "
               "OR media_type LIKE 'video/%')")


def downgrade() -> None:
    # recreate="never": rebuilding `document` on SQLite would cascade-delete its pages.
    with op.batch_alter_table("document", recreate="never") as batch:
        batch.drop_column("preview_status")
