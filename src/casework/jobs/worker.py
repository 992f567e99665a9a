"""In-process worker threads for the embedded shape, driven by the durable job table.

Only one process per DATA_DIR runs them (a file lock), so the on-disk vector index has a
single writer. Each job's lease is renewed by a heartbeat thread while it runs; a process
that dies simply stops renewing, and its jobs are claimed again after restart.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
import uuid
from typing import TYPE_CHECKING

from casework.core.database import transaction
from casework.core.process_lock import ProcessLock
from casework.core.redaction import data_roots, redact_paths
from casework.jobs import claims, failures, heartbeats, schedule, service
from casework.jobs.handlers import JobCancelled, JobContext, JobHandler, RetryPolicy
from casework.jobs.models import Job, JobPriority, JobStatus
from casework.jobs.registry import JobRegistry

if TYPE_CHECKING:
    from casework.runtime import Runtime

log = logging.getLogger(__name__)

INTERACTIVE = (-1_000_000, JobPriority.interactive)  # the priorities fair-share threads run


class WorkerPool:
    def __init__(self, runtime: Runtime, registry: JobRegistry, *, threads: int,
                 lock: ProcessLock | None = None, schedules_periodic: bool = True,
                 band: tuple[int, int] | None = None) -> None:
        self.runtime = runtime
        self.registry = registry
        self.lock = lock
        self.threads = threads
        # The priorities this pool runs (None: all). `casework ingest` leaves enrichment
        # (entities) to the server: spaCy would raise the peak of a process that exits anyway.
        self.band = band
        # The embedded pool is the only clock there is; under Celery, beat is (celery_queue).
        self.schedules_periodic = schedules_periodic
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._running: set[int] = set()
        self._running_lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    # --- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        self._beat()  # readiness sees this worker from the first moment
        for index in range(self.threads):
            thread = threading.Thread(target=self._loop, name=f"casework-worker-{index}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)
        # Fair-share threads take only interactive work of workspaces running nothing, so
        # another workspace's upload starts at once, not after a backlog's running job.
        lanes = self.runtime.settings.worker_fair_share_threads if self.threads else 0
        for index in range(lanes):
            thread = threading.Thread(target=self._loop, args=(True,), daemon=True,
                                      name=f"casework-fair-share-{index}")
            thread.start()
            self._threads.append(thread)
        heartbeat = threading.Thread(target=self._heartbeat, name="casework-heartbeat",
                                     daemon=True)
        heartbeat.start()
        self._threads.append(heartbeat)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop claiming; wait for running jobs. Unfinished ones are reclaimed later."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        try:
            with transaction(self.runtime.sessions) as session:
                heartbeats.forget_worker(session=session, worker_id=self.worker_id)
        except Exception:
            log.warning("could not remove the heartbeat of %s", self.worker_id, exc_info=True)
        if self.lock is not None:
            self.lock.release()

    def notify(self, _job_id: int | None = None) -> None:
        self._wake.set()

    def _slots_taken(self) -> bool:
        with self._running_lock:
            return len(self._running) >= self.threads

    def idle(self) -> bool:
        with self._running_lock:
            return not self._running

    # --- the loop ----------------------------------------------------------------------
    def _loop(self, fair_share: bool = False) -> None:
        settings = self.runtime.settings
        while not self._stop.is_set():
            try:
                # A fair-share thread steps in only when every slot is taken (otherwise a
                # free regular thread takes the next job by the same fair rule) and borrows
                # a slot: the next regular thread to finish waits until it is given back, so
                # the quiet workspace's job shares the cores with one job less.
                ran = (fair_share == self._slots_taken()) and self.run_one(
                    fair_share=fair_share)
            except Exception:  # the loop must survive a database hiccup
                log.exception("worker loop error")
                ran = False
            if not ran:
                self._wake.wait(settings.job_poll_seconds)
                self._wake.clear()

    def run_one(self, *, fair_share: bool = False) -> bool:
        """Claim and run one job; False when nothing was runnable.

        `fair_share`: only an interactive job of a workspace that runs nothing right now.
        """
        settings = self.runtime.settings
        with transaction(self.runtime.sessions) as session:
            job = claims.claim_next(session=session, worker_id=self.worker_id,
                                     lease_seconds=settings.job_lease_seconds,
                                     kinds=self.registry.kinds(),
                                     band=INTERACTIVE if fair_share else self.band,
                                     idle_workspaces_only=fair_share)
            if job is None:
                return False
            ctx = JobContext(self.runtime, job.id, job.kind, dict(job.payload),
                             job.workspace_id, job.attempts, job.max_attempts)
            abandoned = job.error if job.status == JobStatus.failed else None
        if abandoned is not None:
            self.give_up(ctx, abandoned)
        else:
            self.execute(ctx)
        if fair_share:
            self._wake.set()  # the borrowed slot is free again
        return True

    def give_up(self, ctx: JobContext, reason: str) -> None:
        """A job whose attempts all died with their worker: failed at claim (`_take`); the
        handler records it (the document says why) without running the work again."""
        log.warning("job %s (%s) given up: %s", ctx.job_id, ctx.kind, reason)
        handler = self.registry.get(ctx.kind)
        if handler is not None and handler.on_failure is not None:
            handler.on_failure(ctx, reason)

    def execute(self, ctx: JobContext) -> None:
        handler: JobHandler = self.registry[ctx.kind]
        # pgvector may have been set up since this process started (`casework migrate`).
        self.runtime.refresh_vector_index(force=True)
        settings = self.runtime.settings
        with self._running_lock:
            self._running.add(ctx.job_id)
        try:
            handler.run(ctx)
        except JobCancelled:
            log.info("job %s (%s) stopped: it was cancelled", ctx.job_id, ctx.kind)
        except Exception as exc:  # MemoryError and RecursionError too: failures.py
            log.warning("job %s (%s) attempt %s failed:\n%s", ctx.job_id, ctx.kind,
                        ctx.attempt, traceback.format_exc())
            failure = failures.classify(exc)
            # Shown on the document and the job: no server paths (the log keeps them).
            shown = redact_paths(failure.reason, roots=data_roots(settings.data_dir))
            # A kind's own schedule (webhooks), else JOB_RETRY_* and the row's max_attempts.
            retry = handler.retry or RetryPolicy(settings.job_retry_base_seconds,
                                                 settings.job_retry_max_seconds)
            with transaction(self.runtime.sessions) as session:
                job = session.get(Job, ctx.job_id)
                # Only a job still ours is recorded: not one cancelled meanwhile.
                final = (job is not None and job.status == JobStatus.running
                         and job.locked_by == self.worker_id
                         and service.mark_failed_attempt(
                             session=session, job=job, error=shown,
                             permanent=not failure.transient, base=retry.base_seconds,
                             cap=retry.max_seconds,
                             max_attempts=retry.max_attempts))
                reason = job.error if final and job is not None else shown
            if final and handler.on_failure is not None:
                handler.on_failure(ctx, reason or shown)
        else:
            with transaction(self.runtime.sessions) as session:
                service.mark_succeeded(session=session, job_id=ctx.job_id,
                                       worker_id=self.worker_id)
        finally:
            with self._running_lock:
                self._running.discard(ctx.job_id)
        self.runtime.after_job()

    def _beat(self) -> None:
        """Say this worker is alive, and (embedded) enqueue periodic jobs that are due."""
        settings = self.runtime.settings
        with self._running_lock:
            running = len(self._running)
        with transaction(self.runtime.sessions) as session:
            heartbeats.record_heartbeat(
                session=session, worker_id=self.worker_id, hostname=socket.gethostname(),
                pid=os.getpid(), threads=self.threads, running_jobs=running)
            if self.schedules_periodic:
                schedule.enqueue_due(session=session, periodic=self.registry.periodic,
                                     max_attempts=settings.job_max_attempts,
                                     notify=self.runtime.notify_jobs)

    def _heartbeat(self) -> None:
        settings = self.runtime.settings
        interval = max(min(settings.job_lease_seconds / 3, settings.worker_heartbeat_seconds),
                       0.05)
        while not self._stop.wait(interval):
            try:
                self._beat()
            except Exception:
                log.exception("could not record the worker heartbeat")
            with self._running_lock:
                running = list(self._running)
            for job_id in running:
                try:
                    with transaction(self.runtime.sessions) as session:
                        service.renew_lease(session=session, job_id=job_id,
                                            worker_id=self.worker_id,
                                            lease_seconds=settings.job_lease_seconds)
                except Exception:
                    log.exception("could not renew the lease of job %s", job_id)
