"""The webhooks domain's jobs: deliver one event to one endpoint, with its own backoff."""

from __future__ import annotations

from casework.core.settings import Settings
from casework.jobs.handlers import RetryPolicy
from casework.jobs.registry import JobRegistry
from casework.webhooks import delivery
from casework.webhooks.job_kinds import DELIVER_WEBHOOK


def register(registry: JobRegistry, settings: Settings) -> None:
    registry.add(DELIVER_WEBHOOK, delivery.deliver, delivery.delivery_failed,
                 retry=RetryPolicy(base_seconds=settings.webhook_retry_base_seconds,
                                   max_seconds=settings.webhook_retry_max_seconds,
                                   max_attempts=settings.webhook_max_attempts))
