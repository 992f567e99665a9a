"""Indexes for ingest progress at case size: the collection page's panel counted every
document of the collection by reading its rows (and sorted them all to find no failure);
these let it count from one narrow index and seek the rest (docs/ingest-progress.md).

New indexes only (CREATE INDEX): `document` is not rebuilt. On SQLite with planner
statistics already taken, `document` is analysed again so the new indexes have figures
like the old ones (an index without any looks highly selective to the planner).

Revision ID: progress_0002
Revises: progress_0001
Create Date: 2026-12-06 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "progress_0002"
down_revision: str | None = "progress_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0011_preview_status"

# As documents/models.py spells them (FAILING_SQL, OCR_STATUS_SQL), frozen here.
_READY = sa.text("status = 'ready'")
_FAILING = sa.text(
    "status = 'failed' OR embedding_status = 'failed' OR preview_status = 'failed'")
_OCR_SQLITE = sa.text("json_extract(metadata, '$.ocr.status') IS NOT NULL")
_OCR_POSTGRESQL = sa.text("(metadata #>> '{ocr,status}') IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_document_stages", "document",
                    ["workspace_id", "collection_id", "status", "preview_status",
                     "embedding_status", "created_at"])
    op.create_index("ix_document_ready", "document",
                    ["workspace_id", "collection_id", "processed_at", "created_at"],
                    sqlite_where=_READY, postgresql_where=_READY)
    op.create_index("ix_document_failing", "document",
                    ["workspace_id", "collection_id", "filename", "id"],
                    sqlite_where=_FAILING, postgresql_where=_FAILING)
    op.create_index("ix_document_ocr", "document", ["workspace_id", "collection_id"],
                    sqlite_where=_OCR_SQLITE, postgresql_where=_OCR_POSTGRESQL)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and bind.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first() is not None:
        bind.exec_driver_sql("ANALYZE document")


def downgrade() -> None:
    for name in ("ix_document_ocr", "ix_document_failing", "ix_document_ready",
                 "ix_document_stages"):
        op.drop_index(name, table_name="document")
