"""An index on job(status, priority, workspace_id, id) for the fair claim.

`jobs.service.claim_next` lists the workspaces with queued work (one index seek per
workspace) and takes each one's oldest job (one seek); without this index both read every
queued row, so each claim cost grew with the backlog (12 ms per claim at 10,000 queued
jobs on SQLite, holding the write lock). docs/benchmarks.md#fair-claims has the measurement.

Revision ID: jobs_0001
Revises: 0007_chunk_workspace
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "jobs_0001"
down_revision: str | Sequence[str] | None = "0007_chunk_workspace"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_job_fair_claim", "job", ["status", "priority", "workspace_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_job_fair_claim", table_name="job")
