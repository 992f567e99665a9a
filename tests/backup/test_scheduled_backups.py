"""Scheduled backups in the scale-out shape: `casework scheduler` (Celery beat) decides when,
a `casework worker` takes the backup, retention prunes the target. Real processes on real
PostgreSQL, Redis and S3; the embedded shape's scheduling is in test_backup_restore.py."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from casework.backup.archive import extract_verified
from casework.backup.locations import open_target
from casework.bootstrap import build_job_registry
from casework.jobs.celery_queue import ENQUEUE_PERIODIC, build_celery
from tests.backup.conftest import cli, environment
from tests.conftest import test_settings
from tests.fixtures.celery_processes import CaseworkProcess, scaleout_environment
from tests.fixtures.scaleout import S3_ACCESS_KEY, S3_SECRET_KEY

OLD_ARCHIVES = ["casework-backup-20200101T000000Z.tar", "casework-backup-20200102T000000Z.tar",
                "casework-backup-20200103T000000Z.tar"]


def _beat_schedule(settings):
    """What beat would send, with the periodic jobs the domains register for `settings`."""
    return build_celery(settings, build_job_registry(settings).periodic).conf.beat_schedule


def test_the_beat_schedule_has_a_backup_entry_only_when_backups_are_scheduled(tmp_path):
    redis = "redis://127.0.0.1:6379/15"  # building the app connects to nothing
    off = test_settings(tmp_path / "off", None, redis_url=redis)
    # Export retention runs hourly whatever else is scheduled.
    assert set(_beat_schedule(off)) == {"sweep-jobs", "periodic-prune_exports"}

    on = test_settings(tmp_path / "on", None, redis_url=redis, backup_interval_hours=12,
                       backup_keep=3, backup_target="s3://casework-backups/nightly/",
                       job_sweep_seconds=20)
    schedule = _beat_schedule(on)
    assert set(schedule) == {"sweep-jobs", "periodic-backup", "periodic-prune_exports"}
    entry = schedule["periodic-backup"]
    assert entry["task"] == ENQUEUE_PERIODIC
    # Beat ticks often; the job table decides whether 12 hours have passed.
    assert entry["schedule"] == 20
    assert entry["args"] == ["backup", 12 * 3600.0,
                             {"target": "s3://casework-backups/nightly/", "keep": 3}]

    local = test_settings(tmp_path / "local", None, redis_url=redis, backup_interval_hours=24)
    (_, _, payload) = _beat_schedule(local)["periodic-backup"]["args"]
    # A folder travels as an absolute path: the worker's working directory may differ.
    assert payload == {"target": str((tmp_path / "local" / "backups").resolve()), "keep": 7}


@pytest.mark.scaleout
@pytest.mark.slow
def test_the_scheduler_takes_backups_on_schedule_with_retention(
        tmp_path, postgres_url, redis_url, s3_server, source_files):
    tag = uuid.uuid4().hex[:10]
    client = s3_server.client()
    blob_bucket, backup_bucket = f"cwtest-blobs-{tag}", f"cwtest-backups-{tag}"
    client.create_bucket(Bucket=backup_bucket)
    for name in OLD_ARCHIVES:  # what earlier nights left behind
        client.put_object(Bucket=backup_bucket, Key=f"scheduled/{name}", Body=b"old")
    s3 = {"S3_ENDPOINT_URL": s3_server.endpoint_url, "S3_BUCKET": blob_bucket,
          "S3_ACCESS_KEY_ID": S3_ACCESS_KEY, "S3_SECRET_ACCESS_KEY": S3_SECRET_KEY}
    namespace = f"cwtest-sched-{tag}"

    def process_env(name: str, **extra: str) -> dict[str, str]:
        return scaleout_environment(tmp_path / name, database_url=postgres_url,
                                    redis_url=redis_url, namespace=namespace,
                                    JOB_SWEEP_SECONDS="1", **s3, **extra)

    cli(process_env("migrate"), "migrate")
    # The worker knows nothing of backups: the scheduler's settings travel with the job.
    worker = CaseworkProcess("worker", ["worker", "--concurrency", "2"],
                             process_env("worker"), tmp_path)
    scheduler = None
    try:
        ingest_env = {**environment(tmp_path / "ingest", postgres_url,
                                    SEMANTIC_SEARCH="false"), **process_env("ingest")}
        cli(ingest_env, "ingest", str(source_files), "--collection", "Harbour")
        scheduler = CaseworkProcess("scheduler", ["scheduler"], process_env(
            "scheduler", BACKUP_INTERVAL_HOURS="24", BACKUP_KEEP="2",
            BACKUP_TARGET=f"s3://{backup_bucket}/scheduled/"), tmp_path)

        def archives() -> list[str]:
            listing = client.list_objects_v2(Bucket=backup_bucket, Prefix="scheduled/")
            return sorted(item["Key"].split("/", 1)[1] for item in listing.get("Contents", []))

        deadline = time.monotonic() + 120
        while set(archives()) & set(OLD_ARCHIVES[:2]) or len(archives()) != 2:
            worker.assert_running()
            scheduler.assert_running()
            assert time.monotonic() < deadline, (archives(), scheduler.output()[-2000:],
                                                 worker.output()[-2000:])
            time.sleep(0.5)
        kept = archives()
        assert kept[0] == OLD_ARCHIVES[-1]  # the newest old one, then tonight's
        new = kept[1]

        time.sleep(4)  # more ticks of beat: the interval has not passed, nothing more
        assert archives() == kept
        engine = create_engine(postgres_url)
        with engine.connect() as connection:
            jobs = connection.execute(text(
                "SELECT status, payload FROM job WHERE kind = 'backup'")).all()
        engine.dispose()
        assert [job.status for job in jobs] == ["succeeded"]
        assert jobs[0].payload == {"target": f"s3://{backup_bucket}/scheduled/", "keep": 2}
    finally:
        for process in (scheduler, worker):
            if process is not None:
                process.stop()

    # Tonight's archive is a complete, verifiable backup of what was ingested.
    settings = test_settings(tmp_path / "check", None, s3_endpoint_url=s3_server.endpoint_url,
                             s3_access_key_id=S3_ACCESS_KEY,
                             s3_secret_access_key=S3_SECRET_KEY)
    target, _ = open_target(f"s3://{backup_bucket}/scheduled/", settings)
    with target.open(new) as stream:
        manifest = extract_verified(stream, tmp_path / "verify", label=new)
    assert manifest["database"]["dialect"] == "postgresql"
    originals = [n for n in manifest["files"] if "/originals/" in n]
    assert len(originals) == 3
