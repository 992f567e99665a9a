"""Worker heartbeats: one row per live job worker, for readiness checks and metrics.

Revision ID: ops_0001
Revises: 0001
Create Date: 2026-11-25 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'ops_0001'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('worker_heartbeat',
    sa.Column('worker_id', sa.String(length=120), nullable=False),
    sa.Column('hostname', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('threads', sa.Integer(), nullable=False),
    sa.Column('running_jobs', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('worker_id', name=op.f('pk_worker_heartbeat'))
    )
    with op.batch_alter_table('worker_heartbeat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_heartbeat_seen_at'), ['seen_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('worker_heartbeat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_heartbeat_seen_at'))
    op.drop_table('worker_heartbeat')
