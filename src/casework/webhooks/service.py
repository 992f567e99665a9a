"""Webhook endpoints (create, change, rotate the secret, delete), events turned into
deliveries, and the delivery log.

`emit` is how the rest of casework announces an event: called in the transaction that made
the event true, it adds one delivery per subscribed endpoint and a `deliver_webhook` job
for each (an outbox): a rolled-back change sends nothing, and a committed one is sent
however often the worker dies (webhooks/delivery.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.accounts import credentials
from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.core.database import utcnow
from casework.core.errors import Conflict, InvalidInput
from casework.core.scoping import get_scoped, scoped
from casework.core.settings import Settings
from casework.jobs import service as jobs_service
from casework.jobs.models import JobPriority
from casework.webhooks.events import PING, WebhookEvent
from casework.webhooks.job_kinds import DELIVER_WEBHOOK
from casework.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from casework.webhooks.targets import check_url

SECRET_PREFIX = "whsec"  # noqa: S105  (what a secret starts with, not one)
MAX_BODY_BYTES = 64 * 1024  # an event says what happened and where, not the content
# The job row's own limit only bounds claims abandoned by dying workers; the kind's
# RetryPolicy (WEBHOOK_MAX_ATTEMPTS) decides when a failing receiver is given up.
JOB_MAX_ATTEMPTS = 50


def _new_secret() -> tuple[str, str]:
    secret = credentials.new_secret(SECRET_PREFIX)
    return secret, secret[:12]


def create_endpoint(*, session: Session, principal: Principal, settings: Settings, url: str,
                    events: list[WebhookEvent], description: str = "",
                    active: bool = True) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret, which is returned this once."""
    count = session.scalar(select(func.count()).select_from(WebhookEndpoint).where(
        WebhookEndpoint.workspace_id == principal.workspace_id)) or 0
    if count >= settings.webhook_max_endpoints:
        raise Conflict(f"this workspace has {count} webhooks, the most allowed "
                       "(WEBHOOK_MAX_ENDPOINTS): delete one first")
    secret, prefix = _new_secret()
    endpoint = WebhookEndpoint(
        workspace_id=principal.workspace_id,
        url=check_url(url, allow_private=settings.webhook_allow_private),
        description=description.strip(), events=_event_names(events), secret=secret,
        secret_prefix=prefix, active=active, created_by=principal.user_id)
    session.add(endpoint)
    session.flush()
    audit.record_by(session=session, principal=principal, action="webhook.create",
                    target_type="webhook", target_id=endpoint.id,
                    details={"url": endpoint.url, "events": endpoint.events})
    return endpoint, secret


def _event_names(events: list[WebhookEvent]) -> list[str]:
    if not events:
        raise InvalidInput("choose at least one event")
    return sorted({WebhookEvent(e).value for e in events})


def list_endpoints(*, session: Session, workspace_id: str) -> list[WebhookEndpoint]:
    return list(session.scalars(scoped(WebhookEndpoint, workspace_id)
                                .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)))


def get_endpoint(*, session: Session, workspace_id: str, endpoint_id: str) -> WebhookEndpoint:
    return get_scoped(session, WebhookEndpoint, workspace_id, endpoint_id, noun="webhook")


@dataclass(frozen=True, slots=True)
class EndpointChanges:
    """What PATCH may change; None leaves a field as it is."""

    url: str | None = None
    events: list[WebhookEvent] | None = None
    description: str | None = None
    active: bool | None = None


def update_endpoint(*, session: Session, principal: Principal, settings: Settings,
                    endpoint_id: str, changes: EndpointChanges) -> WebhookEndpoint:
    endpoint = get_endpoint(session=session, workspace_id=principal.workspace_id,
                            endpoint_id=endpoint_id)
    if changes.url is not None:
        endpoint.url = check_url(changes.url, allow_private=settings.webhook_allow_private)
    if changes.events is not None:
        endpoint.events = _event_names(changes.events)
    if changes.description is not None:
        endpoint.description = changes.description.strip()
    if changes.active is not None:
        endpoint.active = changes.active
    session.flush()
    audit.record_by(session=session, principal=principal, action="webhook.update",
                    target_type="webhook", target_id=endpoint.id,
                    details={"url": endpoint.url, "events": endpoint.events,
                             "active": endpoint.active})
    return endpoint


def rotate_secret(*, session: Session, principal: Principal,
                  endpoint_id: str) -> tuple[WebhookEndpoint, str]:
    """A new secret, returned this once; the old one stops signing at once."""
    endpoint = get_endpoint(session=session, workspace_id=principal.workspace_id,
                            endpoint_id=endpoint_id)
    endpoint.secret, endpoint.secret_prefix = _new_secret()
    session.flush()
    audit.record_by(session=session, principal=principal, action="webhook.rotate_secret",
                    target_type="webhook", target_id=endpoint.id)
    return endpoint, endpoint.secret


def delete_endpoint(*, session: Session, principal: Principal, endpoint_id: str) -> None:
    """The endpoint and its delivery log; queued deliveries find nothing to send."""
    endpoint = get_endpoint(session=session, workspace_id=principal.workspace_id,
                            endpoint_id=endpoint_id)
    audit.record_by(session=session, principal=principal, action="webhook.delete",
                    target_type="webhook", target_id=endpoint.id,
                    details={"url": endpoint.url})
    session.delete(endpoint)
    session.flush()


# --- events become deliveries ---------------------------------------------------------

def emit(*, session: Session, workspace_id: str, event: WebhookEvent | str,
         payload: dict[str, Any], notify: Callable[[int], None] | None = None
         ) -> list[WebhookDelivery]:
    """Announce `event` to the workspace's active endpoints that subscribe to it, in the
    caller's transaction. `payload` (JSON-able, under 64 KB) becomes the body's `data`.
    `notify` (runtime.notify_jobs) wakes the workers after the commit; without it they
    find the jobs at their next poll (or sweep, on Celery)."""
    name = WebhookEvent(event).value
    endpoints = [e for e in session.scalars(scoped(WebhookEndpoint, workspace_id).where(
        WebhookEndpoint.active.is_(True))) if name in e.events]
    return [_deliver(session, endpoint, name, payload, notify) for endpoint in endpoints]


def send_ping(*, session: Session, principal: Principal, endpoint_id: str,
              notify: Callable[[int], None] | None = None) -> WebhookDelivery:
    """A test delivery to one endpoint (active or not): is the receiver there, does it
    check the signature?"""
    endpoint = get_endpoint(session=session, workspace_id=principal.workspace_id,
                            endpoint_id=endpoint_id)
    return _deliver(session, endpoint, PING, {"webhook_id": endpoint.id,
                                              "sent_by": principal.label}, notify)


def _deliver(session: Session, endpoint: WebhookEndpoint, event: str,
             payload: dict[str, Any], notify: Callable[[int], None] | None
             ) -> WebhookDelivery:
    delivery = WebhookDelivery(workspace_id=endpoint.workspace_id, endpoint_id=endpoint.id,
                               event=event, body="")
    session.add(delivery)
    session.flush()
    delivery.body = json.dumps(
        {"id": delivery.id, "event": event, "created_at": delivery.created_at.isoformat(),
         "workspace_id": endpoint.workspace_id, "data": payload},
        separators=(",", ":"), sort_keys=True, default=str)
    if len(delivery.body.encode()) > MAX_BODY_BYTES:
        raise ValueError(f"a webhook payload must stay under {MAX_BODY_BYTES} bytes")
    jobs_service.enqueue(session=session, kind=DELIVER_WEBHOOK,
                         payload={"delivery_id": delivery.id},
                         workspace_id=endpoint.workspace_id, priority=JobPriority.derived,
                         max_attempts=JOB_MAX_ATTEMPTS, notify=notify)
    return delivery


# --- the delivery log -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DeliveryLog:
    delivery: WebhookDelivery
    attempts: list[WebhookAttempt]


def list_deliveries(*, session: Session, workspace_id: str, endpoint_id: str, limit: int,
                    offset: int) -> tuple[list[DeliveryLog], int]:
    """Newest first, each with its attempts (oldest first)."""
    get_endpoint(session=session, workspace_id=workspace_id, endpoint_id=endpoint_id)
    query = scoped(WebhookDelivery, workspace_id).where(
        WebhookDelivery.endpoint_id == endpoint_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    deliveries = list(session.scalars(query.order_by(
        WebhookDelivery.created_at.desc(), WebhookDelivery.id).limit(limit).offset(offset)))
    attempts: dict[str, list[WebhookAttempt]] = {d.id: [] for d in deliveries}
    if deliveries:
        for attempt in session.scalars(scoped(WebhookAttempt, workspace_id).where(
                WebhookAttempt.delivery_id.in_(list(attempts)))
                .order_by(WebhookAttempt.number, WebhookAttempt.id)):
            attempts[attempt.delivery_id].append(attempt)
    return [DeliveryLog(d, attempts[d.id]) for d in deliveries], total


@dataclass(frozen=True, slots=True)
class Sending:
    """What an attempt needs, read in one short transaction before the request goes out."""

    delivery_id: str
    event: str
    body: bytes
    url: str
    secret: str
    endpoint_active: bool
    status: str


def sending(*, session: Session, workspace_id: str, delivery_id: str) -> Sending | None:
    """None once the delivery (or its endpoint) has been deleted."""
    row = session.execute(
        select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.workspace_id == workspace_id,
               WebhookDelivery.id == delivery_id)).first()
    if row is None:
        return None
    delivery, endpoint = row
    return Sending(delivery_id=delivery.id, event=delivery.event, body=delivery.body.encode(),
                   url=endpoint.url, secret=endpoint.secret, endpoint_active=endpoint.active,
                   status=delivery.status)


def record_attempt(*, session: Session, workspace_id: str, delivery_id: str, number: int,
                   status_code: int | None, latency_ms: float, error: str | None,
                   response_prefix: str | None) -> None:
    """A log row for the attempt; a 2xx answer finishes the delivery."""
    delivery = get_scoped(session, WebhookDelivery, workspace_id, delivery_id,
                          noun="delivery")
    session.add(WebhookAttempt(
        workspace_id=workspace_id, delivery_id=delivery_id, number=number,
        status_code=status_code, latency_ms=latency_ms,
        error=error[:500] if error else None, response_prefix=response_prefix))
    delivery.attempts = max(delivery.attempts, number)
    delivery.last_status_code = status_code
    delivery.last_error = error[:500] if error else None
    if error is None:
        delivery.status = DeliveryStatus.succeeded
        delivery.finished_at = utcnow()
    session.flush()


def finish_delivery(*, session: Session, workspace_id: str, delivery_id: str, status: str,
                    error: str | None = None) -> None:
    """Failed for good (or cancelled): no attempt follows."""
    delivery = session.scalars(scoped(WebhookDelivery, workspace_id).where(
        WebhookDelivery.id == delivery_id)).first()
    if delivery is None or delivery.status == DeliveryStatus.succeeded:
        return
    delivery.status = status
    delivery.finished_at = utcnow()
    if error:
        delivery.last_error = error[:500]
    session.flush()
