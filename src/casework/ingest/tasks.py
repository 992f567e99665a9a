"""The ingest domain's jobs: process an upload, re-chunk what an older chunker cut."""

from __future__ import annotations

from casework.core.settings import Settings
from casework.ingest import pipeline, rechunk
from casework.ingest.job_kinds import PROCESS_DOCUMENT, RECHUNK_DOCUMENT, RECHUNK_NOTE
from casework.jobs.registry import JobRegistry


def register(registry: JobRegistry, settings: Settings) -> None:
    registry.add(PROCESS_DOCUMENT, pipeline.process_document, pipeline.document_failed)
    registry.add(RECHUNK_DOCUMENT, rechunk.rechunk_document)
    registry.add(RECHUNK_NOTE, rechunk.rechunk_note)
