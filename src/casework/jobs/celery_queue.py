"""The scale-out job queue: Celery on Redis carries job ids; the job table stays the truth.

A Celery message only says "a job of this queue may be runnable": it is a token, sent once
per job enqueued. The task claims the job that should run next through the same
`jobs.claims.claim_next` the embedded pool uses (fair across workspaces, a lease in the
database), runs the same handler, and records the outcome in the job table, which is what
the API shows. So a message delivered twice, late, or after the job already ran is a
harmless no-op, and a job whose message was lost (a worker SIGKILLed mid-job, Redis
restarted) is found again by the sweeper that beat runs: queued-and-due or running-with-an-
expired-lease jobs are re-sent. Messages are not routed per workspace: the job table
decides, so the fairness rule is one rule on both shapes (docs/architecture.md).

Interactive work (extraction) and bulk work (embedding) travel on two queues, and a worker
always takes interactive work first: kombu's Redis transport BRPOPs a worker's queues in
the order the worker lists them (interactive, then bulk), where its default rotated that
order after every message, so a burst of uploads alternated with embeddings and each
extraction waited behind one. A backlog of embeddings therefore never sits in front of a
user's upload; it waits while interactive work keeps coming. A worker started with
`--queues interactive` still reserves capacity that bulk work can never take.

Beat (`casework scheduler`, one per installation) is also the only clock for periodic jobs
(scheduled backups): each tick asks a worker to enqueue the job if the job table says it is
due, with the scheduler's own interval, target and retention in the message. Workers'
heartbeats do not schedule anything here, so N workers never race to take N backups.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from celery import Celery
from sqlalchemy import and_, or_, select

from casework.core.database import transaction, utcnow
from casework.core.settings import Settings
from casework.jobs import claims, schedule
from casework.jobs.handlers import JobContext
from casework.jobs.models import Job, JobPriority, JobStatus
from casework.jobs.registry import JobRegistry
from casework.jobs.worker import WorkerPool

if TYPE_CHECKING:
    from casework.runtime import Runtime

log = logging.getLogger(__name__)

RUN_JOB = "casework.run_job"
SWEEP = "casework.sweep_jobs"
ENQUEUE_PERIODIC = "casework.enqueue_periodic"
SWEEP_BATCH = 500
INFINITE_PRIORITY = 1_000_000  # the open end of a queue's priority band
REDISPATCH_AFTER = timedelta(minutes=10)


def queue_names(namespace: str) -> tuple[str, str]:
    """(interactive, bulk) queue names; the namespace lets installations share one Redis."""
    return f"{namespace}.interactive", f"{namespace}.bulk"


def build_celery(settings: Settings, periodic: list[schedule.PeriodicJob]) -> Celery:
    interactive, _bulk = queue_names(settings.redis_namespace)
    app = Celery("casework", broker=settings.redis_url, backend=settings.redis_url,
                 set_as_current=False)
    hard = settings.celery_time_limit_seconds
    app.conf.update(
        task_acks_late=True,  # a message is acknowledged only once its job is recorded
        task_reject_on_worker_lost=True,  # a killed worker's message goes back to the queue
        worker_prefetch_multiplier=1,  # no process sits on messages others could run
        task_time_limit=hard, task_soft_time_limit=max(hard - 30, hard * 0.9),
        task_default_queue=interactive, task_ignore_result=True,
        task_serializer="json", accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            # Unacked messages of a dead worker come back after this; the sweeper is faster.
            "visibility_timeout": int(hard) + 300,
            # BRPOP the queues in the worker's order, never rotated: interactive (listed
            # first, see `consumption_order`) wins whenever both queues hold messages.
            "queue_order_strategy": "priority",
        },
        beat_schedule=beat_schedule(settings, periodic),
        worker_hijack_root_logger=False,
    )
    return app


def beat_schedule(settings: Settings,
                  periodic: list[schedule.PeriodicJob]) -> dict[str, dict[str, Any]]:
    """What beat sends: the sweeper, and one entry per periodic job that is switched on.

    Periodic entries tick every JOB_SWEEP_SECONDS, not every interval: whether a backup is
    due is decided by the job table (`schedule.enqueue_if_due`), which survives restarts
    of beat, where beat's own schedule file would not (it lives on a container's disk).
    """
    interactive, _bulk = queue_names(settings.redis_namespace)
    tick = settings.job_sweep_seconds
    entries: dict[str, dict[str, Any]] = {
        "sweep-jobs": {"task": SWEEP, "schedule": tick,
                       "options": {"queue": interactive, "expires": 60}}}
    for job in periodic:
        entries[f"periodic-{job.kind}"] = {
            "task": ENQUEUE_PERIODIC, "schedule": tick,
            "args": [job.kind, job.interval.total_seconds(), job.payload],
            # A tick nobody picked up in time is replaced by the next one, not queued up.
            "options": {"queue": interactive, "expires": max(tick, 1.0)}}
    return entries


class CeleryJobQueue:
    """Sends job ids (API side) and runs them (worker side) through one Celery app."""

    def __init__(self, settings: Settings, *, redis: Any, registry: JobRegistry,
                 build_runtime: Callable[[], Runtime]) -> None:
        """`build_runtime` makes a worker process's own runtime, on its first task (after
        a prefork worker forked); the composition root passes it in."""
        self.settings = settings
        self.redis = redis
        self.registry = registry
        self._build_runtime = build_runtime
        self.app = build_celery(settings, registry.periodic)
        self.interactive, self.bulk = queue_names(settings.redis_namespace)
        self._runtime: Runtime | None = None
        self._pool: WorkerPool | None = None
        self._owns_runtime = False
        self._lock = threading.Lock()
        queue = self

        # shared=False: the closure belongs to this queue (and its runtime) only.
        @self.app.task(name=RUN_JOB, bind=True, acks_late=True, shared=False)
        def run_job(task: Any, job_id: int) -> str:
            return queue.run(job_id)

        @self.app.task(name=SWEEP, shared=False)
        def sweep_jobs() -> int:
            return queue.sweep()

        @self.app.task(name=ENQUEUE_PERIODIC, shared=False)
        def enqueue_periodic(kind: str, interval_seconds: float,
                             payload: dict[str, Any]) -> int | None:
            return queue.enqueue_periodic(kind, interval_seconds=interval_seconds,
                                          payload=payload)

    def consumption_order(self, kinds: Collection[str]) -> list[str]:
        """The queues of `kinds` ("interactive", "bulk") in the order a worker must list
        them: with the 'priority' queue order the first one holding a message is served."""
        by_kind = {"interactive": self.interactive, "bulk": self.bulk}
        return [name for kind, name in by_kind.items() if kind in kinds]

    # --- sending -----------------------------------------------------------------------
    def queue_for(self, priority: int) -> str:
        return self.interactive if priority <= JobPriority.interactive else self.bulk

    def dispatch(self, job_id: int, *, runtime: Runtime) -> None:
        """After the commit that enqueued (or requeued) the job: send its id to a worker."""
        with transaction(runtime.read_sessions) as session:
            row = session.execute(
                select(Job.priority, Job.run_after).where(Job.id == job_id)).first()
        if row is None:
            return
        self.send(job_id, priority=row.priority, run_after=row.run_after)

    def send(self, job_id: int, *, priority: int, run_after: Any = None) -> None:
        countdown = 0.0
        if run_after is not None:
            countdown = max((run_after - utcnow()).total_seconds(), 0.0)
        self.app.send_task(RUN_JOB, args=[job_id], queue=self.queue_for(priority),
                           countdown=countdown or None)
        try:
            self.redis.set(self._sent_key(job_id), "1",
                           ex=int(REDISPATCH_AFTER.total_seconds() + countdown))
        except Exception:
            log.warning("could not record the dispatch of job %s", job_id, exc_info=True)

    def _sent_key(self, job_id: int) -> str:
        return f"{self.settings.redis_namespace}:job-sent:{job_id}"

    # --- running (inside a worker process) ------------------------------------------------
    def attach(self, runtime: Runtime) -> None:
        """Run tasks with this runtime (tests, or a worker that built its own)."""
        self._runtime = runtime

    def worker_side(self) -> tuple[Runtime, WorkerPool]:
        """The runtime and lease-keeping pool of this worker process, built on first use.

        The schema must be current already (`casework worker` migrates before it forks).
        """
        with self._lock:
            if self._runtime is None:
                self._runtime = self._build_runtime()
                self._owns_runtime = True
            if self._pool is None:
                # No claiming threads: Celery delivers the work. The pool brings the same
                # execute() as the embedded shape and a heartbeat that renews leases.
                self._pool = WorkerPool(self._runtime, self.registry, threads=0,
                                        schedules_periodic=False)
                self._pool.start()
            return self._runtime, self._pool

    def band_of(self, priority: int) -> tuple[int, int]:
        """The priorities whose jobs travel on the queue that `priority`'s jobs use."""
        if priority <= JobPriority.interactive:
            return (-INFINITE_PRIORITY, JobPriority.interactive)
        return (JobPriority.interactive + 1, INFINITE_PRIORITY)

    def run(self, job_id: int) -> str:
        """Run the job that should run next on this message's queue, fairly.

        The message is a token: one job of its queue may run. Which one is the job table's
        decision (`claim_next`: abandoned jobs first, then the workspace running the fewest
        jobs), so a workspace's backlog of messages cannot keep another workspace's upload
        waiting behind it in Redis. A token that finds no runnable job (a duplicate, a late
        message, a job cancelled or done) does nothing.
        """
        runtime, pool = self.worker_side()
        settings = runtime.settings
        with transaction(runtime.read_sessions) as session:
            priority = session.scalar(select(Job.priority).where(Job.id == job_id))
        if priority is None:
            return "skipped"  # its workspace was deleted
        while True:
            with transaction(runtime.sessions) as session:
                job = claims.claim_next(session=session, worker_id=pool.worker_id,
                                         lease_seconds=settings.job_lease_seconds,
                                         kinds=self.registry.kinds(),
                                         band=self.band_of(priority))
                if job is None:
                    return "skipped"  # nothing runnable: done, not due yet, or taken
                ctx = JobContext(runtime, job.id, job.kind, dict(job.payload),
                                 job.workspace_id, job.attempts, job.max_attempts)
                abandoned = job.error if job.status == JobStatus.failed else None
            if abandoned is None:
                break
            pool.give_up(ctx, abandoned)  # and the token runs the next job
        pool.execute(ctx)
        with transaction(runtime.read_sessions) as session:
            after = session.get(Job, ctx.job_id)
            if after is not None and after.status == JobStatus.queued:
                # A failed attempt was requeued with the job table's backoff: send it again
                # for then. If this message is lost, the sweeper finds the job.
                self.send(ctx.job_id, priority=after.priority, run_after=after.run_after)
                return "retry"
        return "done"

    def enqueue_periodic(self, kind: str, *, interval_seconds: float,
                         payload: dict[str, Any]) -> int | None:
        """Enqueue the periodic job `kind` if it is due (a beat tick); its id, or None."""
        runtime, _pool = self.worker_side()
        periodic = schedule.PeriodicJob(kind, timedelta(seconds=interval_seconds), payload)
        lock = self.redis.lock(f"{self.settings.redis_namespace}:periodic:{kind}",
                               timeout=60, blocking=False)
        if not lock.acquire():
            return None  # two ticks at once (a backlog delivered late): one decides
        try:
            with transaction(runtime.sessions) as session:
                job_id = schedule.enqueue_if_due(
                    session=session, periodic=periodic,
                    max_attempts=runtime.settings.job_max_attempts,
                    notify=runtime.notify_jobs)
        finally:
            lock.release()
        if job_id is not None:
            log.info("periodic job enqueued", extra={"kind": kind, "job_id": job_id})
        return job_id

    def sweep(self) -> int:
        """Re-send jobs nobody is running: due and not sent lately (or whose queue holds no
        message at all), or with a dead lease."""
        runtime, _pool = self.worker_side()
        now = utcnow()
        with transaction(runtime.read_sessions) as session:
            rows = session.execute(
                select(Job.id, Job.priority, Job.status).where(or_(
                    and_(Job.status == JobStatus.queued, Job.run_after <= now),
                    and_(Job.status == JobStatus.running, Job.locked_until < now),
                )).order_by(Job.priority, Job.id).limit(SWEEP_BATCH)).all()
        sent = 0
        waiting = {name: self._waiting_messages(name) for name in (self.interactive, self.bulk)}
        for job_id, priority, status in rows:
            if (status == JobStatus.queued and waiting[self.queue_for(priority)]
                    and self.redis.exists(self._sent_key(job_id))):
                continue  # its message is still on its way (or waiting in a backlog)
            self.send(job_id, priority=priority)
            sent += 1
        if sent:
            log.info("sweeper re-sent %s jobs", sent)
        return sent

    def _waiting_messages(self, queue: str) -> int:
        """Messages waiting in `queue` (kombu keeps a queue as a Redis list of its name).

        Messages are tokens, so a job due with none waiting has lost its token: a worker
        SIGKILLed while holding it (its unacknowledged messages come back only after the
        visibility timeout, an hour). The sweeper then sends one again at once; a token
        too many finds nothing to run.
        """
        try:
            return int(self.redis.llen(queue))
        except Exception:
            log.warning("could not read the length of %s", queue, exc_info=True)
            return 1  # unknown: trust the sent-markers, as before

    def close(self) -> None:
        if self._pool is not None:
            self._pool.stop()
            self._pool = None
        if self._owns_runtime and self._runtime is not None:
            runtime, self._runtime = self._runtime, None
            runtime.close()
