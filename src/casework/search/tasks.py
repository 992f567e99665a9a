"""The search domain's jobs: embed a document's or a note's chunks."""

from __future__ import annotations

from casework.core.settings import Settings
from casework.jobs.registry import JobRegistry
from casework.search import embedding_jobs
from casework.search.job_kinds import EMBED_DOCUMENT, EMBED_NOTE


def register(registry: JobRegistry, settings: Settings) -> None:
    registry.add(EMBED_DOCUMENT, embedding_jobs.embed_document,
                 embedding_jobs.embedding_failed)
    registry.add(EMBED_NOTE, embedding_jobs.embed_note)
