"""Review coding (review/): each document's coding, the workspace's issues, the issues a
document carries, and the history of every coding change. New tables only.

Revision ID: review_0001
Revises: 0001
Create Date: 2026-12-06 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "review_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "document_coding",
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("responsiveness", sa.String(length=24), nullable=True),
        sa.Column("privileged", sa.Boolean(), nullable=False),
        sa.Column("privilege_basis", sa.String(length=500), nullable=True),
        sa.Column("hot", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=True),
        _fk("document_coding", "document_id", "document"),
        _fk("document_coding", "workspace_id", "workspace"),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_document_coding")),
    )
    op.create_index(op.f("ix_document_coding_workspace_id"), "document_coding",
                    ["workspace_id"], unique=False)
    op.create_index(op.f("ix_document_coding_responsiveness"), "document_coding",
                    ["responsiveness"], unique=False)
    op.create_table(
        "review_issue",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("review_issue", "workspace_id", "workspace"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_issue")),
        sa.UniqueConstraint("workspace_id", "name",
                            name=op.f("uq_review_issue_workspace_id_name")),
    )
    op.create_index(op.f("ix_review_issue_workspace_id"), "review_issue", ["workspace_id"],
                    unique=False)
    op.create_table(
        "document_issue",
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("issue_id", sa.String(length=32), nullable=False),
        _fk("document_issue", "workspace_id", "workspace"),
        _fk("document_issue", "document_id", "document"),
        sa.ForeignKeyConstraint(["issue_id"], ["review_issue.id"],
                                name=op.f("fk_document_issue_issue_id_review_issue"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id", "issue_id", name=op.f("pk_document_issue")),
    )
    op.create_index(op.f("ix_document_issue_issue_id"), "document_issue", ["issue_id"],
                    unique=False)
    op.create_table(
        "coding_change",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.String(length=32), nullable=True),
        sa.Column("actor_api_key_id", sa.String(length=32), nullable=True),
        sa.Column("actor_label", sa.String(length=320), nullable=True),
        sa.Column("batch_id", sa.String(length=32), nullable=True),
        _fk("coding_change", "workspace_id", "workspace"),
        _fk("coding_change", "document_id", "document"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coding_change")),
    )
    op.create_index("ix_coding_change_document", "coding_change", ["document_id", "id"],
                    unique=False)
    op.create_index(op.f("ix_coding_change_workspace_id"), "coding_change", ["workspace_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_coding_change_workspace_id"), table_name="coding_change")
    op.drop_index("ix_coding_change_document", table_name="coding_change")
    op.drop_table("coding_change")
    op.drop_index(op.f("ix_document_issue_issue_id"), table_name="document_issue")
    op.drop_table("document_issue")
    op.drop_index(op.f("ix_review_issue_workspace_id"), table_name="review_issue")
    op.drop_table("review_issue")
    op.drop_index(op.f("ix_document_coding_responsiveness"), table_name="document_coding")
    op.drop_index(op.f("ix_document_coding_workspace_id"), table_name="document_coding")
    op.drop_table("document_coding")
