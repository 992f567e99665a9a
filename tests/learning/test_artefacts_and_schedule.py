"""Model artefacts under a concurrent reader, and the daily run timed by the real schedulers."""

from __future__ import annotations

import pickle
import threading
import time
import uuid

import numpy as np
import pytest

from casework.bootstrap import build_job_registry
from casework.jobs.celery_queue import ENQUEUE_PERIODIC, build_celery
from casework.learning.artefacts import (
    LocalModelStore,
    ModelStoreError,
    load_verified,
    new_version,
    open_model_store,
    prune,
    sha256_of,
)
from tests.conftest import test_settings
from tests.fixtures.scaleout import S3_ACCESS_KEY, S3_SECRET_KEY


@pytest.fixture(params=["folder", "s3"])
def model_store(request, tmp_path):
    """MODEL_STORAGE_PATH as a folder, and as s3://bucket/prefix/ on a real S3 server
    (SeaweedFS, as the other S3 tests), both opened the way the daily run opens them."""
    if request.param == "folder":
        location, s3 = str(tmp_path / "models"), {}
    else:
        server = request.getfixturevalue("s3_server")
        bucket = f"cwmodels-{uuid.uuid4().hex[:12]}"
        server.client().create_bucket(Bucket=bucket)
        location = f"s3://{bucket}/models/"
        s3 = {"s3_endpoint_url": server.endpoint_url, "s3_access_key_id": S3_ACCESS_KEY,
              "s3_secret_access_key": S3_SECRET_KEY}
    return open_model_store(test_settings(tmp_path / "data", model_storage_path=location, **s3))


def test_a_reader_never_sees_a_partial_model_while_versions_are_written(tmp_path, model_store):
    store = model_store
    workspace = "ws1"
    stop = threading.Event()
    loads, problems = [], []

    def read_latest_in_a_loop() -> None:
        while not stop.is_set():
            latest = store.latest(workspace)
            if latest is None:
                continue
            try:
                data = store.read(workspace, latest.version)
            except ModelStoreError:
                continue  # pruned between the pointer and the read: gone, never partial
            try:
                model = load_verified(data, expected_sha256=latest.sha256)
            except Exception as exc:  # a torn or mixed-up file would land here
                problems.append(repr(exc))
                continue
            if model["version"] != latest.version or model["weights"].shape != (400, 400):
                problems.append(f"{latest.version} holds {model['version']}")
            loads.append(latest.version)

    reader = threading.Thread(target=read_latest_in_a_loop)
    reader.start()
    written = []
    try:
        for index in range(25):  # ~640 KB each: a write takes long enough to be raced
            version = new_version()
            weights = np.full((400, 400), index, dtype=np.float32)
            store.write(workspace, version, pickle.dumps({"version": version,
                                                          "weights": weights}))
            written.append(version)
            prune(store, workspace, keep=3)
    finally:
        time.sleep(0.05)
        stop.set()
        reader.join()
    assert problems == []
    assert len(set(loads)) >= 3, loads  # the reader really raced the writer
    assert store.versions(workspace) == written[-3:]
    assert store.latest(workspace).version == written[-1]
    assert not list((tmp_path / "models").glob("*/*.partial"))


def test_a_model_whose_bytes_differ_from_the_recorded_checksum_is_not_loaded(tmp_path):
    store = LocalModelStore(tmp_path / "models")
    version = new_version()
    good = pickle.dumps({"a": 1})
    store.write("ws1", version, good)
    (tmp_path / "models" / "ws1" / f"{version}.model").write_bytes(pickle.dumps({"a": 2}))
    try:
        load_verified(store.read("ws1", version), expected_sha256=sha256_of(good))
    except ModelStoreError as exc:
        assert "checksum" in exc.message
    else:
        raise AssertionError("a tampered model was loaded")


def test_the_embedded_scheduler_runs_the_daily_run(tmp_path, make_client):
    settings = test_settings(tmp_path / "data", None, daily_run_interval_hours=24,
                             daily_run_horizon_days=45, worker_heartbeat_seconds=0.2)
    client = make_client(settings)
    deadline = time.monotonic() + 30
    while not (runs := client.get("/api/v1/learning/runs").json()):
        assert time.monotonic() < deadline, "the scheduled daily run never ran"
        time.sleep(0.2)
    assert runs[0]["status"] == "skipped" and runs[0]["horizon_days"] == 45
    assert "0 tagged documents" in runs[0]["reason"]
    time.sleep(1)  # more heartbeats: within the interval nothing more is enqueued
    assert len(client.get("/api/v1/learning/runs").json()) == 1


def test_beat_schedules_the_daily_run_only_when_switched_on(tmp_path):
    redis = "redis://127.0.0.1:6379/15"  # building the app connects to nothing
    off = test_settings(tmp_path / "off", None, redis_url=redis)
    assert "periodic-daily_run" not in build_celery(
        off, build_job_registry(off).periodic).conf.beat_schedule
    on = test_settings(tmp_path / "on", None, redis_url=redis, daily_run_interval_hours=24,
                       job_sweep_seconds=20)
    entry = build_celery(on, build_job_registry(on).periodic).conf.beat_schedule[
        "periodic-daily_run"]
    assert entry["task"] == ENQUEUE_PERIODIC and entry["schedule"] == 20
    assert entry["args"] == ["daily_run", 24 * 3600.0, {"horizon_days": 90}]
