"""Entities and their mentions: people, organisations, places and normalised patterns found
in documents' pages (entities/).

Revision ID: entities_0001
Revises: 0001
Create Date: 2026-12-06 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "entities_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "entity",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("merged_into_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"],
                                name=op.f("fk_entity_workspace_id_workspace"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity")),
        sa.UniqueConstraint("workspace_id", "kind", "key",
                            name=op.f("uq_entity_workspace_id_kind_key")),
    )
    with op.batch_alter_table("entity", schema=None) as batch_op:
        batch_op.create_index("ix_entity_workspace_kind_name", ["workspace_id", "kind", "name"],
                              unique=False)
    op.create_table(
        "entity_mention",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("start_char", sa.Integer(), nullable=False),
        sa.Column("end_char", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"],
                                name=op.f("fk_entity_mention_workspace_id_workspace"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"],
                                name=op.f("fk_entity_mention_entity_id_entity"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"],
                                name=op.f("fk_entity_mention_document_id_document"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity_mention")),
    )
    with op.batch_alter_table("entity_mention", schema=None) as batch_op:
        batch_op.create_index("ix_entity_mention_entity",
                              ["workspace_id", "entity_id", "document_id"], unique=False)
        batch_op.create_index("ix_entity_mention_document", ["document_id", "page"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("entity_mention", schema=None) as batch_op:
        batch_op.drop_index("ix_entity_mention_document")
        batch_op.drop_index("ix_entity_mention_entity")
    op.drop_table("entity_mention")
    with op.batch_alter_table("entity", schema=None) as batch_op:
        batch_op.drop_index("ix_entity_workspace_kind_name")
    op.drop_table("entity")
