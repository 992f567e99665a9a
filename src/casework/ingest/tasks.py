"""The ingest domain's jobs: process an upload, draw its previews, re-chunk what an older
chunker cut."""

from __future__ import annotations

from casework.core.settings import Settings
from casework.ingest import pipeline, previews, rechunk
from casework.ingest.job_kinds import (
    DERIVE_PREVIEWS,
    PROCESS_DOCUMENT,
    RECHUNK_DOCUMENT,
    RECHUNK_NOTE,
)
from casework.jobs.registry import JobRegistry


def register(registry: JobRegistry, settings: Settings) -> None:
    registry.add(PROCESS_DOCUMENT, pipeline.process_document, pipeline.document_failed)
    registry.add(DERIVE_PREVIEWS, previews.derive_previews, previews.previews_failed)
    registry.add(RECHUNK_DOCUMENT, rechunk.rechunk_document)
    registry.add(RECHUNK_NOTE, rechunk.rechunk_note)
