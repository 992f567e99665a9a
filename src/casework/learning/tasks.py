"""The learning domain's jobs: the daily run, scheduled by the embedded pool or Celery beat."""

from __future__ import annotations

from datetime import timedelta

from casework.core.settings import Settings
from casework.jobs.handlers import JobContext
from casework.jobs.registry import JobRegistry
from casework.jobs.schedule import PeriodicJob
from casework.learning.job_kinds import DAILY_RUN


def register(registry: JobRegistry, settings: Settings) -> None:
    registry.add(DAILY_RUN, run_daily_job)
    if settings.daily_run_interval_hours > 0:
        # The horizon travels with the job, like the backup's target (backup/tasks.py).
        registry.every(PeriodicJob(DAILY_RUN,
                                   timedelta(hours=settings.daily_run_interval_hours),
                                   {"horizon_days": settings.daily_run_horizon_days}))


def run_daily_job(ctx: JobContext) -> None:
    # Imported when a run starts: scikit-learn takes ~2 s to import, which every process
    # that builds the job table (the server, each CLI command) would otherwise pay.
    from casework.learning.daily_run import run_daily

    horizon = int(ctx.payload.get("horizon_days") or ctx.runtime.settings.daily_run_horizon_days)
    run_daily(runtime=ctx.runtime, horizon_days=horizon)
