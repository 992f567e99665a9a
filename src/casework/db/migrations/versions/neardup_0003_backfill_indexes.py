"""Two indexes for signing 100,000 documents (the near-duplicate backfill, and ingest).

- document (workspace_id, status, id): the backfill walks a workspace's ready documents a
  batch at a time by keyset on id; with only the (workspace, collection, created) index
  SQLite read and sorted every document of the workspace for each batch.
- signature_band's candidate index becomes (band_key, workspace_id), was (workspace_id,
  band_key): the candidate lookup (`band_key IN (...) AND workspace_id = ?`) uses it as
  well, and the job's delete of a document's old bands (`workspace_id = ? AND
  document_id = ?`) can no longer pick it over the primary key, which made SQLite scan
  every band of the workspace for each document signed (88 ms a document at 3,000).

Indexes only: the `document` table is not rebuilt.

Revision ID: neardup_0003
Revises: neardup_0002
Create Date: 2026-12-06 18:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "neardup_0003"
down_revision: str | None = "neardup_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_document_workspace_status_id", "document",
                    ["workspace_id", "status", "id"])
    op.drop_index("ix_signature_band_key", table_name="signature_band")
    op.create_index("ix_signature_band_key", "signature_band", ["band_key", "workspace_id"])


def downgrade() -> None:
    op.drop_index("ix_signature_band_key", table_name="signature_band")
    op.create_index("ix_signature_band_key", "signature_band", ["workspace_id", "band_key"])
    op.drop_index("ix_document_workspace_status_id", table_name="document")
