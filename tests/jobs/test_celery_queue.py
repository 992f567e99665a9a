"""Jobs on Celery + Redis: the job table stays the truth; retries, duplicates, lost messages."""

import time

import pytest

from casework.core.database import transaction, utcnow
from casework.jobs import service as jobs_service
from casework.jobs.handlers import JobHandler
from casework.jobs.models import Job, JobPriority, JobStatus
from tests.conftest import test_settings

pytestmark = pytest.mark.scaleout


@pytest.fixture
def scaleout_client(tmp_path, scaleout_postgres_url, redis_url, s3_server, make_client):
    from tests.fixtures.scaleout import S3_ACCESS_KEY, S3_SECRET_KEY

    tag = tmp_path.name[-12:].replace("_", "-").lower()
    settings = test_settings(
        tmp_path / "data", scaleout_postgres_url, redis_url=redis_url,
        redis_namespace=f"cwtest-jobs-{tag}", s3_endpoint_url=s3_server.endpoint_url,
        s3_bucket=f"cwtest-jobs-{tag}", s3_access_key_id=S3_ACCESS_KEY,
        s3_secret_access_key=S3_SECRET_KEY)
    return make_client(settings)


def _enqueue(runtime, kind, *, notify=True, priority=JobPriority.interactive):
    with transaction(runtime.sessions) as session:
        job = jobs_service.enqueue(session=session, kind=kind, payload={}, workspace_id=None,
                                   priority=priority, max_attempts=5,
                                   notify=runtime.notify_jobs if notify else None)
    return job.id


def _wait(runtime, job_id, status, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with transaction(runtime.read_sessions) as session:
            job = session.get(Job, job_id)
            if job.status == status:
                return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} is {job.status}, not {status}: {job.error}")


def test_a_failing_job_is_retried_with_the_tables_backoff(scaleout_client):
    runtime = scaleout_client.app.state.runtime
    calls = []

    def flaky(ctx):
        calls.append(ctx.attempt)
        if ctx.attempt < 3:
            raise ConnectionError(f"transient failure {ctx.attempt}")  # failures.py: retried

    scaleout_client.app.state.jobs["flaky"] = JobHandler(flaky)
    job = _wait(runtime, _enqueue(runtime, "flaky"), JobStatus.succeeded)
    assert calls == [1, 2, 3]
    assert job.attempts == 3 and job.error is None


def test_duplicate_and_late_messages_run_nothing_twice(scaleout_client):
    runtime = scaleout_client.app.state.runtime
    calls = []
    scaleout_client.app.state.jobs["once"] = JobHandler(lambda ctx: calls.append(ctx.job_id))
    job_id = _enqueue(runtime, "once")
    _wait(runtime, job_id, JobStatus.succeeded)
    for _ in range(3):  # redelivered, or sent again by the sweeper: a no-op
        runtime.job_queue.send(job_id, priority=JobPriority.interactive)
    time.sleep(1.0)
    assert calls == [job_id]
    assert _wait(runtime, job_id, JobStatus.succeeded).attempts == 1


def test_the_sweeper_resends_jobs_whose_worker_died(scaleout_client):
    runtime = scaleout_client.app.state.runtime
    calls = []
    scaleout_client.app.state.jobs["orphan"] = JobHandler(lambda ctx: calls.append(ctx.attempt))
    job_id = _enqueue(runtime, "orphan", notify=False)  # its message was lost
    with transaction(runtime.sessions) as session:  # a worker took it and was SIGKILLed
        job = session.get(Job, job_id)
        job.status, job.attempts, job.locked_by = JobStatus.running, 1, "dead-worker"
        job.locked_until = utcnow()
    assert runtime.job_queue.sweep() >= 1  # what beat runs every JOB_SWEEP_SECONDS
    job = _wait(runtime, job_id, JobStatus.succeeded)
    assert calls == [2] and job.attempts == 2


def test_interactive_and_bulk_jobs_travel_on_separate_queues(scaleout_client):
    queue = scaleout_client.app.state.runtime.job_queue
    assert queue.queue_for(JobPriority.interactive) == queue.interactive
    assert queue.queue_for(JobPriority.bulk) == queue.bulk
    assert queue.interactive != queue.bulk
    conf = queue.app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1 and conf.task_time_limit
    # Interactive is listed first and served first (test_celery_queue_order.py).
    assert conf.broker_transport_options["queue_order_strategy"] == "priority"
    assert queue.consumption_order({"bulk", "interactive"}) == [queue.interactive, queue.bulk]


def test_search_results_are_cached_and_never_stale(scaleout_client):
    from tests.conftest import create_collection, ingest, wait_for_jobs

    runtime = scaleout_client.app.state.runtime
    collection = create_collection(scaleout_client)
    ingest(scaleout_client, collection["id"], ("a.txt", b"the quokka smiled"))
    wait_for_jobs(scaleout_client)  # later jobs' commits bump the version too
    searched = []
    original = runtime.keyword_index.search

    def counting(*args, **kwargs):
        searched.append(1)
        return original(*args, **kwargs)

    runtime.keyword_index.search = counting
    params = {"q": "Quokka", "mode": "keyword"}
    first = scaleout_client.get("/api/v1/search", params=params).json()
    again = scaleout_client.get("/api/v1/search", params={**params, "q": " quokka "}).json()
    assert len(searched) == 1  # the second, same normalised query came from Redis
    assert [h["document_id"] for h in again["hits"]] == [h["document_id"] for h in first["hits"]]
    ingest(scaleout_client, collection["id"], ("b.txt", b"a second quokka appeared"))
    fresh = scaleout_client.get("/api/v1/search", params=params).json()
    assert len(fresh["hits"]) == 2  # the upload bumped the index version
    assert len(searched) == 2


def test_counting_searches_does_not_empty_the_search_cache(scaleout_client):
    """Usage counters are flushed while searching; they are not searchable content."""
    from tests.conftest import create_collection, ingest, wait_for_jobs

    runtime = scaleout_client.app.state.runtime
    collection = create_collection(scaleout_client)
    ingest(scaleout_client, collection["id"], ("a.txt", b"the wombat dozed"))
    wait_for_jobs(scaleout_client)
    params = {"q": "wombat", "mode": "keyword"}
    scaleout_client.get("/api/v1/search", params=params)
    version = runtime.search_cache.version(_workspace_id(scaleout_client))
    runtime.usage.flush()  # what happens every few seconds under search traffic
    assert runtime.search_cache.version(_workspace_id(scaleout_client)) == version
    searched = []
    original = runtime.keyword_index.search
    runtime.keyword_index.search = lambda *a, **k: searched.append(1) or original(*a, **k)
    assert scaleout_client.get("/api/v1/search", params=params).json()["hits"]
    assert searched == []  # answered from Redis


def _workspace_id(client) -> str:
    return client.get("/api/v1/workspaces/current").json()["id"]


def test_a_job_whose_workers_all_died_is_given_up_not_run_again(scaleout_client):
    runtime = scaleout_client.app.state.runtime
    ran, gave_up = [], []
    scaleout_client.app.state.jobs["crasher"] = JobHandler(lambda ctx: ran.append(ctx.attempt),
                                             lambda ctx, reason: gave_up.append(reason))
    job_id = _enqueue(runtime, "crasher", notify=False)
    with transaction(runtime.sessions) as session:  # its fifth worker was SIGKILLed too
        job = session.get(Job, job_id)
        job.status, job.attempts, job.locked_by = JobStatus.running, 5, "dead-worker"
        job.locked_until = utcnow()
    assert runtime.job_queue.sweep() >= 1
    job = _wait(runtime, job_id, JobStatus.failed)
    assert ran == []
    assert job.attempts == 5
    assert job.error == "processing stopped 5 times (the worker died or was killed)"
    deadline = time.monotonic() + 10
    while not gave_up and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gave_up == [job.error]


def test_an_upload_overtakes_another_workspaces_backlog_on_celery(scaleout_client):
    runtime = scaleout_client.app.state.runtime
    busy = scaleout_client.get("/api/v1/workspaces/current").json()["id"]
    quiet = scaleout_client.post("/api/v1/workspaces", json={"name": "Quiet"}).json()["id"]
    finished = []
    scaleout_client.app.state.jobs["slow"] = JobHandler(
        lambda ctx: (time.sleep(0.2), finished.append(ctx.workspace_id)))
    with transaction(runtime.sessions) as session:
        for n in range(30):  # one message each, all in Redis before the upload's
            jobs_service.enqueue(session=session, kind="slow", payload={"n": n},
                                 workspace_id=busy, notify=runtime.notify_jobs)
    deadline = time.monotonic() + 30
    while not finished:
        assert time.monotonic() < deadline, "the worker never started the backlog"
        time.sleep(0.02)
    with transaction(runtime.sessions) as session:
        upload = jobs_service.enqueue(session=session, kind="slow", payload={},
                                      workspace_id=quiet, notify=runtime.notify_jobs).id
    before = len(finished)  # backlog jobs done when the upload's message was sent
    job = _wait(runtime, upload, JobStatus.succeeded)
    assert job.attempts == 1
    assert before < 25, "the backlog was nearly done already: nothing was measured"
    # Its message queued behind the backlog's, yet it ran on the next free worker: at most
    # the two jobs running then (and one claimed as it was sent) finished before it.
    assert finished.index(quiet) <= before + 3, (before, finished)


def test_a_message_lost_with_a_killed_worker_is_sent_again_at_once(scaleout_client):
    """The dead worker had the message reserved: Redis returns it only after the visibility
    timeout (an hour), and the job's sent-marker says it is on its way. The queue is empty,
    so the sweeper sends it again anyway."""
    runtime = scaleout_client.app.state.runtime
    calls = []
    scaleout_client.app.state.jobs["orphan"] = JobHandler(lambda ctx: calls.append(ctx.job_id))
    job_id = _enqueue(runtime, "orphan", notify=False)
    queue = runtime.job_queue
    queue.redis.set(queue._sent_key(job_id), "1", ex=600)  # sent, then lost with its worker
    assert queue.sweep() >= 1
    assert _wait(runtime, job_id, JobStatus.succeeded).attempts == 1
    assert calls == [job_id]
