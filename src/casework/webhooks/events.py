"""The events a webhook endpoint can subscribe to, by name.

Other domains announce an event with `webhooks.service.emit(session=..., workspace_id=...,
event=WebhookEvent.export_ready, payload={...})` in the transaction that made it true.
"""

from __future__ import annotations

from enum import StrEnum


class WebhookEvent(StrEnum):
    document_ready = "document.ready"  # text extracted and keyword-searchable
    document_failed = "document.failed"  # its last attempt failed; `error` says why
    export_ready = "export.ready"  # an export can be downloaded
    report_ready = "report.ready"  # a collection's report can be downloaded
    daily_run_finished = "daily_run.finished"  # the nightly pipeline ended (ok or not)
    saved_search_match = "saved_search.match"  # a new document matches a saved search


PING = "ping"  # "send a test delivery": sent to one endpoint on request, not subscribable
