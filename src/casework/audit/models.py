"""Audit event table: written once, never updated or deleted (triggers enforce it)."""

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, utcnow


class AuditEvent(Base):
    """`workspace_id` is NULL for account-level events (a login is not in a workspace);
    those are visible to operators only. No foreign key: the record outlives the workspace."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_workspace_time", "workspace_id", "created_at"),)

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
