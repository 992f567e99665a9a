"""The entities domain's jobs: extract a document's entities once its text is searchable."""

from __future__ import annotations

from casework.core.settings import Settings
from casework.entities import extraction_job
from casework.entities.job_kinds import EXTRACT_ENTITIES
from casework.jobs.registry import JobRegistry


def register(registry: JobRegistry, settings: Settings) -> None:
    registry.add(EXTRACT_ENTITIES, extraction_job.extract_entities)
