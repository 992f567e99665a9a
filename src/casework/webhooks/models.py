"""Webhook endpoints, their deliveries, and one row per delivery attempt (the log)."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from casework.core.database import Base, Timestamped, utcnow
from casework.core.ids import new_id


class WebhookEndpoint(Timestamped, Base):
    __tablename__ = "webhook_endpoint"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Kept as written: each delivery is signed with it (an HMAC needs the key itself, not a
    # hash of it). The API shows it once, at creation and rotation; `secret_prefix` after.
    secret: Mapped[str] = mapped_column(String(100))
    secret_prefix: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(32), default=None)


class DeliveryStatus:
    pending = "pending"  # queued, or waiting for its next attempt
    succeeded = "succeeded"  # a 2xx answer
    failed = "failed"  # every attempt failed, or the address is refused
    cancelled = "cancelled"  # the endpoint was switched off before it went out


class WebhookDelivery(Base):
    """One event for one endpoint. `body` is the exact JSON sent: every attempt sends the
    same bytes (and the same `id` inside, for receivers to drop repeats)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_endpoint_created", "endpoint_id",
                            "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class WebhookAttempt(Base):
    """One try: when, the answer's status code, how long it took, what went wrong, and the
    first RESPONSE_PREFIX characters of the answer (never more)."""

    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    response_prefix: Mapped[str | None] = mapped_column(String(256), default=None)
