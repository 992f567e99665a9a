"""E-mail threads: a message row beside each e-mail document, the ids it refers to, the
threads they form, and the identity that marks the same message seen twice (mail/).

Revision ID: mail_0001
Revises: 0001
Create Date: 2026-12-06 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "mail_0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"],
                                   name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "mail_thread",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("mail_thread", "workspace_id", "workspace", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_thread")),
    )
    op.create_index("ix_mail_thread_workspace_last", "mail_thread",
                    ["workspace_id", "last_at"], unique=False)
    op.create_table(
        "mail_message",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("collection_id", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("in_reply_to", sa.String(length=255), nullable=True),
        sa.Column("reference_ids", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("subject_key", sa.String(length=500), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=True),
        sa.Column("sender_name", sa.String(length=200), nullable=True),
        sa.Column("to_addresses", sa.JSON(), nullable=False),
        sa.Column("cc_addresses", sa.JSON(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("identity", sa.String(length=80), nullable=False),
        sa.Column("thread_id", sa.String(length=32), nullable=True),
        sa.Column("duplicate_of_document_id", sa.String(length=32), nullable=True),
        _fk("mail_message", "workspace_id", "workspace", "CASCADE"),
        _fk("mail_message", "document_id", "document", "CASCADE"),
        _fk("mail_message", "collection_id", "collection", "CASCADE"),
        _fk("mail_message", "thread_id", "mail_thread", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_message")),
        sa.UniqueConstraint("document_id", name=op.f("uq_mail_message_document_id")),
    )
    op.create_index("ix_mail_message_message_id", "mail_message",
                    ["workspace_id", "message_id"], unique=False)
    op.create_index("ix_mail_message_subject", "mail_message",
                    ["workspace_id", "subject_key", "sent_at"], unique=False)
    op.create_index("ix_mail_message_thread", "mail_message",
                    ["workspace_id", "thread_id", "sent_at"], unique=False)
    op.create_index("ix_mail_message_identity", "mail_message",
                    ["workspace_id", "identity"], unique=False)
    op.create_table(
        "mail_identity",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("identity", sa.String(length=80), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        _fk("mail_identity", "workspace_id", "workspace", "CASCADE"),
        _fk("mail_identity", "document_id", "document", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_identity")),
        sa.UniqueConstraint("workspace_id", "identity",
                            name=op.f("uq_mail_identity_workspace_id_identity")),
    )
    op.create_table(
        "mail_reference",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("message_row_id", _ID, nullable=False),
        sa.Column("referenced_id", sa.String(length=255), nullable=False),
        _fk("mail_reference", "workspace_id", "workspace", "CASCADE"),
        sa.ForeignKeyConstraint(["message_row_id"], ["mail_message.id"],
                                name=op.f("fk_mail_reference_message_row_id_mail_message"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_reference")),
    )
    op.create_index("ix_mail_reference_ref", "mail_reference",
                    ["workspace_id", "referenced_id"], unique=False)
    op.create_index(op.f("ix_mail_reference_message_row_id"), "mail_reference",
                    ["message_row_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_mail_reference_message_row_id"), table_name="mail_reference")
    op.drop_index("ix_mail_reference_ref", table_name="mail_reference")
    op.drop_table("mail_reference")
    op.drop_table("mail_identity")
    for name in ("identity", "thread", "subject", "message_id"):
        op.drop_index(f"ix_mail_message_{name}", table_name="mail_message")
    op.drop_table("mail_message")
    op.drop_index("ix_mail_thread_workspace_last", table_name="mail_thread")
    op.drop_table("mail_thread")
