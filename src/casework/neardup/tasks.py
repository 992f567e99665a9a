"""The near-duplicate domain's jobs: sign a document and group it with its near-copies."""

from __future__ import annotations

from casework.core.settings import Settings
from casework.jobs.registry import JobRegistry
from casework.neardup import jobs
from casework.neardup.job_kinds import FIND_NEAR_DUPLICATES


def register(registry: JobRegistry, settings: Settings) -> None:
    registry.add(FIND_NEAR_DUPLICATES, jobs.find_near_duplicates)
