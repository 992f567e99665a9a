"""Saved searches and their alerts (saved_searches/models.py): one row per search, one per
document it alerted about (unique: an alert at most once per document).

Revision ID: saved_searches_0001
Revises: 0001
Create Date: 2026-12-06 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "saved_searches_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "saved_search",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("query", sa.String(length=1000), nullable=False),
        sa.Column("collection_id", sa.String(length=32), nullable=True),
        sa.Column("alert_webhook", sa.Boolean(), nullable=False),
        sa.Column("alert_email", sa.Boolean(), nullable=False),
        sa.Column("created_by_user_id", sa.String(length=32), nullable=True),
        sa.Column("created_by_label", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("saved_search", "workspace_id", "workspace"),
        _fk("saved_search", "collection_id", "collection"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_search")),
    )
    op.create_index("ix_saved_search_workspace", "saved_search", ["workspace_id"],
                    unique=False)
    op.create_table(
        "saved_search_match",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("saved_search_id", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_webhook", sa.Boolean(), nullable=False),
        sa.Column("by_email", sa.Boolean(), nullable=False),
        _fk("saved_search_match", "workspace_id", "workspace"),
        _fk("saved_search_match", "saved_search_id", "saved_search"),
        _fk("saved_search_match", "document_id", "document"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_search_match")),
        sa.UniqueConstraint("saved_search_id", "document_id",
                            name="uq_saved_search_match_search_document"),
    )


def downgrade() -> None:
    op.drop_table("saved_search_match")
    op.drop_index("ix_saved_search_workspace", table_name="saved_search")
    op.drop_table("saved_search")
