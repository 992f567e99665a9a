"""The saved searches domain's job: test a newly searchable document against the
workspace's alerting saved searches, then send the e-mails once the matches are stored."""

from __future__ import annotations

import logging

from casework.core.database import transaction
from casework.core.settings import Settings
from casework.jobs.handlers import JobContext
from casework.jobs.registry import JobRegistry
from casework.saved_searches import service
from casework.saved_searches.job_kinds import CHECK_SAVED_SEARCHES

log = logging.getLogger(__name__)


def register(registry: JobRegistry, settings: Settings) -> None:
    del settings
    registry.add(CHECK_SAVED_SEARCHES, check_saved_searches)


def check_saved_searches(ctx: JobContext) -> None:
    """Mail goes after the commit and is not retried: a match is told at most once (a
    mail server down loses that e-mail, logged; the webhook is retried by its outbox)."""
    runtime = ctx.runtime
    with transaction(runtime.sessions) as session:
        mails = service.check_document(
            session=session, workspace_id=ctx.workspace_id or "",
            document_id=ctx.payload["document_id"], base_url=runtime.settings.public_url,
            notify=runtime.notify_jobs)
    for mail in mails:
        try:
            runtime.mailer.send(to=mail.to, subject=mail.subject, body=mail.body)
        except Exception:  # one failed address must not stop the others
            log.exception("saved search alert not sent")
