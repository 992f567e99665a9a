"""An index on job(workspace_id, started_at): the fair claim's tie-break.

Among workspaces running equally few jobs, `jobs.service.claim_next` gives the turn to the
one whose last job started longest ago; this index makes that one seek per workspace.

Revision ID: jobs_0002
Revises: jobs_0001
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "jobs_0002"
down_revision: str | Sequence[str] | None = "jobs_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_job_workspace_started", "job", ["workspace_id", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_job_workspace_started", table_name="job")
