"""Chunks cut by the model's tokens: what the model reads, and which chunker wrote them.

`chunk.embed_text` holds a passage's text without the document's running heads and
footers when they differ (NULL: the model reads `text`). `document.chunker_version` and
`note.chunker_version` say which chunker wrote the chunks; everything existing was cut by
characters (version 1) and is re-chunked by the jobs queued at start (ingest/rechunk.py).

Revision ID: 0008_token_chunks
Revises: 0007_chunk_workspace
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_token_chunks"
down_revision: str | Sequence[str] | None = "0007_chunk_workspace"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD/DROP COLUMN, never a batch copy: on SQLite a copy of `chunk` would drop the
# triggers that keep its FTS5 index in step (DROP COLUMN needs SQLite 3.35).
def upgrade() -> None:
    op.add_column("chunk", sa.Column("embed_text", sa.Text(), nullable=True))
    for table in ("document", "note"):
        op.add_column(table, sa.Column("chunker_version", sa.Integer(), nullable=False,
                                       server_default="1"))


def downgrade() -> None:
    for table in ("note", "document"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN chunker_version")
    op.execute("ALTER TABLE chunk DROP COLUMN embed_text")
