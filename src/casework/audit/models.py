"""Audit event table: written once, never updated or deleted (triggers enforce it), each
row hash-chained to the one before it in its workspace (audit/chain.py)."""

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, utcnow


class AuditEvent(Base):
    """`workspace_id` is NULL for account-level events (a login is not in a workspace);
    those are visible to operators only. No foreign key: the record outlives the workspace."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_workspace_time", "workspace_id", "created_at"),
                      # A chain never holds two rows at one place (account-level rows, NULL
                      # workspace, are serialised by their chain head alone).
                      Index("uq_audit_event_workspace_seq", "workspace_id", "seq", unique=True))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    workspace_id: Mapped[str | None] = mapped_column(String(32), default=None)
    action: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    actor_user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    actor_api_key_id: Mapped[str | None] = mapped_column(String(32), default=None)
    actor_label: Mapped[str | None] = mapped_column(String(320), default=None)
    target_type: Mapped[str | None] = mapped_column(String(32), default=None)
    target_id: Mapped[str | None] = mapped_column(String(64), default=None)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(400), default=None)
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    details: Mapped[str] = mapped_column(Text, default="{}")
    # The row's place in its workspace's chain (1, 2, 3... without gaps), the hash of the
    # row before it and its own: SHA-256 over a canonical JSON of the fields above and
    # `prev_hash` (audit/chain.py). NULL only for rows written before the chain existed and
    # not yet linked, which the migration did for every row.
    seq: Mapped[int | None] = mapped_column(BigInteger, default=None)
    prev_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    hash: Mapped[str | None] = mapped_column(String(64), default=None)


class AuditChainHead(Base):
    """The last link of each chain: appending updates this row first, so appends to one
    chain are serialised (row lock on PostgreSQL, the single writer on SQLite) and never
    fork. `chain` is the workspace id, or ACCOUNT_CHAIN for account-level events. Its seq
    and hash also reveal rows cut from the end of the chain."""

    __tablename__ = "audit_chain_head"

    chain: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))
