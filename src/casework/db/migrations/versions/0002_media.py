"""Media facts on documents: capture time, size, duration, parent message; gallery index.

Revision ID: 0002_media
Revises: 0001
Create Date: 2026-11-26 10:00:00

SQLite: the columns are added and dropped with native ALTER TABLE (batch mode with
recreate="never"). Recreating `document` by copy would be worse than slow: with foreign
keys on, dropping the old table cascades and deletes every page and chunk.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002_media'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('document', recreate='never') as batch_op:
        batch_op.add_column(sa.Column('captured_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('width', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('height', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('duration_seconds', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('parent_document_id', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_document_gallery',
                              ['workspace_id', 'collection_id', 'captured_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_parent_document_id'),
                              ['parent_document_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('document', recreate='never') as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_parent_document_id'))
        batch_op.drop_index('ix_document_gallery')
        batch_op.drop_column('parent_document_id')
        batch_op.drop_column('duration_seconds')
        batch_op.drop_column('height')
        batch_op.drop_column('width')
        batch_op.drop_column('captured_at')
