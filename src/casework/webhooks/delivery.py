"""The `deliver_webhook` job: one attempt per run; the job table retries a failed one with
the webhook backoff (WEBHOOK_RETRY_*), up to WEBHOOK_MAX_ATTEMPTS.

Each attempt is logged in its own short transaction before the job's outcome is recorded,
so the log holds every try, including the ones whose job is retried. No transaction is
open while the request is out: a slow receiver holds no database lock.
"""

from __future__ import annotations

from casework.core.database import transaction
from casework.jobs.handlers import JobContext, PermanentJobError, TransientJobError
from casework.webhooks import sender, service
from casework.webhooks.events import PING
from casework.webhooks.models import DeliveryStatus


def deliver(ctx: JobContext) -> None:
    runtime, workspace_id = ctx.runtime, ctx.workspace_id or ""
    settings = runtime.settings
    delivery_id = ctx.payload["delivery_id"]
    with transaction(runtime.read_sessions) as session:
        found = service.sending(session=session, workspace_id=workspace_id,
                                delivery_id=delivery_id)
    if found is None or found.status != DeliveryStatus.pending:
        return  # deleted with its endpoint, or already done (a repeated claim)
    if not found.endpoint_active and found.event != PING:
        with transaction(runtime.sessions) as session:
            service.finish_delivery(session=session, workspace_id=workspace_id,
                                    delivery_id=delivery_id, status=DeliveryStatus.cancelled,
                                    error="the webhook was switched off")
        return
    outcome = sender.send(url=found.url, secret=found.secret, event=found.event,
                          delivery_id=delivery_id, body=found.body,
                          timeout=settings.webhook_timeout_seconds,
                          allow_private=settings.webhook_allow_private)
    with transaction(runtime.sessions) as session:
        service.record_attempt(session=session, workspace_id=workspace_id,
                               delivery_id=delivery_id, number=ctx.attempt,
                               status_code=outcome.status_code,
                               latency_ms=outcome.latency_ms, error=outcome.error,
                               response_prefix=outcome.response_prefix)
    if outcome.ok:
        return
    if outcome.refused:
        raise PermanentJobError(outcome.error)
    raise TransientJobError(outcome.error)


def delivery_failed(ctx: JobContext, reason: str) -> None:
    """The last attempt failed (or the address was refused): the delivery is failed."""
    with transaction(ctx.runtime.sessions) as session:
        service.finish_delivery(session=session, workspace_id=ctx.workspace_id or "",
                                delivery_id=ctx.payload["delivery_id"],
                                status=DeliveryStatus.failed, error=reason)
