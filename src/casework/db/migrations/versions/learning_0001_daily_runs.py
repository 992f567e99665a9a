"""Scheduled learning: daily runs with their metrics, tag suggestions (learning/models.py),
and when each document tag was set (the run's horizon).

Revision ID: learning_0001
Revises: 0001
Create Date: 2026-12-20 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "learning_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "learning_run",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("held_out", sa.Integer(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("accuracy", sa.Float(), nullable=True),
        sa.Column("macro_f1", sa.Float(), nullable=True),
        sa.Column("suggestions", sa.Integer(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("model_sha256", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"],
                                name=op.f("fk_learning_run_workspace_id_workspace"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_run")),
    )
    op.create_index("ix_learning_run_workspace_started", "learning_run",
                    ["workspace_id", "started_at"])
    op.create_table(
        "tag_suggestion",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=True),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"],
                                name=op.f("fk_tag_suggestion_workspace_id_workspace"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"],
                                name=op.f("fk_tag_suggestion_document_id_document"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["learning_run.id"],
                                name=op.f("fk_tag_suggestion_run_id_learning_run"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag_suggestion")),
    )
    op.create_index("ix_tag_suggestion_document", "tag_suggestion", ["document_id", "status"])
    op.create_index("ix_tag_suggestion_workspace", "tag_suggestion", ["workspace_id", "status"])
    # Nullable: links made before this migration count as tagged when their document arrived.
    # ADD COLUMN needs no table rebuild on SQLite.
    op.add_column("document_tag", sa.Column("tagged_at", sa.DateTime(timezone=True),
                                            nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document_tag", recreate="never") as batch_op:
        batch_op.drop_column("tagged_at")
    op.drop_index("ix_tag_suggestion_workspace", table_name="tag_suggestion")
    op.drop_index("ix_tag_suggestion_document", table_name="tag_suggestion")
    op.drop_table("tag_suggestion")
    op.drop_index("ix_learning_run_workspace_started", table_name="learning_run")
    op.drop_table("learning_run")
