"""The reports domain's jobs: write a collection's report (PDF, HTML, inventory CSV)."""

from __future__ import annotations

from casework.core.settings import Settings
from casework.jobs.registry import JobRegistry
from casework.reports import generation
from casework.reports.job_kinds import GENERATE_REPORT


def register(registry: JobRegistry, settings: Settings) -> None:
    registry.add(GENERATE_REPORT, generation.generate_report, generation.report_failed)
