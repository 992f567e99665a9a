"""The productions domain's job: build a production set."""

from __future__ import annotations

from casework.core.settings import Settings
from casework.jobs.registry import JobRegistry
from casework.productions.build import build_production, production_failed
from casework.productions.job_kinds import BUILD_PRODUCTION


def register(registry: JobRegistry, settings: Settings) -> None:
    registry.add(BUILD_PRODUCTION, build_production, production_failed)
