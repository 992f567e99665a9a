"""Backups kept in an S3 bucket, against a real S3 server (SeaweedFS): the round trip,
retention in the bucket, streaming in parts, and refusals that say why."""

from __future__ import annotations

import hashlib
import io
import tarfile
import time
import tracemalloc
import uuid

import pytest
from typer.testing import CliRunner

from casework.backup.archive import extract_verified
from casework.backup.s3_target import S3BackupTarget
from casework.backup.service import create_backup
from casework.bootstrap import build_runtime
from casework.cli.main import app
from tests.backup.conftest import FILES, cli, environment, snapshot_installation, wipe
from tests.conftest import test_settings
from tests.fixtures.scaleout import S3_ACCESS_KEY, S3_SECRET_KEY

pytestmark = pytest.mark.scaleout
MiB = 1024 * 1024


def s3_env(s3_server) -> dict[str, str]:
    return {"S3_ENDPOINT_URL": s3_server.endpoint_url, "S3_ACCESS_KEY_ID": S3_ACCESS_KEY,
            "S3_SECRET_ACCESS_KEY": S3_SECRET_KEY}


def new_bucket(s3_server) -> str:
    name = f"cwbackup-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


def keys(s3_server, bucket: str, prefix: str = "") -> list[str]:
    listing = s3_server.client().list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def empty_bucket(s3_server, bucket: str) -> None:
    client = s3_server.client()
    for key in keys(s3_server, bucket):
        client.delete_object(Bucket=bucket, Key=key)


@pytest.mark.embedding
@pytest.mark.parametrize("blobs", ["local", pytest.param("s3", marks=pytest.mark.postgres)])
def test_backup_to_s3_wipe_restore_gives_identical_originals_and_search_results(
        request, tmp_path, source_files, embedder, s3_server, blobs):
    """Embedded (SQLite, blobs on disk) and scale-out (PostgreSQL, blobs in a bucket)."""
    data_dir = tmp_path / "data"
    backup_bucket = new_bucket(s3_server)
    database_url, overrides = None, {}
    extra = {**s3_env(s3_server), "BACKUP_TARGET": f"s3://{backup_bucket}/nightly/"}
    if blobs == "s3":
        database_url = request.getfixturevalue("postgres_url")
        overrides = {"s3_bucket": new_bucket(s3_server),
                     "s3_endpoint_url": s3_server.endpoint_url,
                     "s3_access_key_id": S3_ACCESS_KEY, "s3_secret_access_key": S3_SECRET_KEY}
        extra["S3_BUCKET"] = overrides["s3_bucket"]
    env = environment(data_dir, database_url, **extra)
    cli(env, "ingest", str(source_files), "--collection", "Harbour")
    before = snapshot_installation(data_dir, database_url, embedder, **overrides)
    assert before["originals"] == FILES

    output = cli(env, "backup")  # to BACKUP_TARGET
    (key,) = keys(s3_server, backup_bucket)
    assert key.startswith("nightly/casework-backup-") and key.endswith(".tar")
    assert f"s3://{backup_bucket}/{key}" in output.replace("\n", "")
    body = s3_server.client().get_object(Bucket=backup_bucket, Key=key)["Body"]
    with tarfile.open(fileobj=body, mode="r|") as tar:
        names = [member.name for member in tar]
    assert names[-1] == "manifest.json"
    assert sum(n.startswith("blobs/") and "/originals/" in n for n in names) == len(FILES)
    assert not any(n.startswith("blobs/.") for n in names)  # no readiness probe objects
    listed = cli(env, "backup", "--list")
    assert f"s3://{backup_bucket}/{key}" in listed

    admin = request.getfixturevalue("postgres_admin_url") if database_url else None
    wipe(data_dir, database_url, admin)
    if blobs == "s3":
        empty_bucket(s3_server, overrides["s3_bucket"])
    assert "restored" in cli(env, "restore", f"s3://{backup_bucket}/{key}")
    after = snapshot_installation(data_dir, database_url, embedder, **overrides)
    assert after["originals"] == FILES  # byte-identical
    assert after["results"] == before["results"]


def test_keep_prunes_old_archives_in_the_bucket_and_nothing_else(
        tmp_path, source_files, s3_server):
    bucket = new_bucket(s3_server)
    env = environment(tmp_path / "data", None, SEMANTIC_SEARCH="false", **s3_env(s3_server))
    cli(env, "ingest", str(source_files), "--collection", "Harbour")
    client = s3_server.client()
    foreign = ["rotating/notes.txt", "rotating/older/casework-backup-20200101T000000Z.tar",
               "elsewhere/casework-backup-20200101T000000Z.tar"]
    for key in foreign:
        client.put_object(Bucket=bucket, Key=key, Body=b"not ours to delete")
    for _ in range(3):
        cli(env, "backup", "--to", f"s3://{bucket}/rotating", "--keep", "2")
        time.sleep(1.05)  # archive names carry the second
    archives = [k for k in keys(s3_server, bucket, "rotating/casework-backup-")]
    assert len(archives) == 2
    assert set(foreign) <= set(keys(s3_server, bucket))
    listed = cli(env, "backup", "--list", "--to", f"s3://{bucket}/rotating/")
    assert [line.split("\t")[0].rsplit("/", 1)[1] for line in listed.splitlines()] == [
        k.rsplit("/", 1)[1] for k in archives]
    uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert uploads == []  # every upload was completed, none left half-way


def test_the_archive_streams_into_the_bucket_in_parts_never_whole_in_memory(
        tmp_path, s3_server):
    bucket = new_bucket(s3_server)
    settings = test_settings(tmp_path / "data", None, **{
        "s3_endpoint_url": s3_server.endpoint_url, "s3_access_key_id": S3_ACCESS_KEY,
        "s3_secret_access_key": S3_SECRET_KEY, "s3_multipart_threshold_bytes": 5 * MiB})
    runtime = build_runtime(settings)
    try:
        big = hashlib.sha256(b"seed").digest() * (48 * MiB // 32)  # 48 MiB, incompressible
        source = settings.tmp_dir / "big"
        source.write_bytes(big)
        runtime.blobs.put_file("ws/originals/ab/big", source)
        del big
        target = S3BackupTarget.from_settings(settings, bucket=bucket, prefix="stream")
        tracemalloc.start()
        try:
            stored = create_backup(runtime=runtime, target=target)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        runtime.close()
    assert stored.size > 48 * MiB
    # A few 5 MiB parts at most, whatever the size of the archive.
    assert peak < 4 * 5 * MiB, f"{peak / MiB:.1f} MiB held at once for a {stored.size} B archive"
    head = s3_server.client().head_object(Bucket=bucket, Key=f"stream/{stored.name}")
    parts = int(head["ETag"].strip('"').rsplit("-", 1)[1])  # S3's mark of a multipart upload
    assert parts >= 9
    check = tmp_path / "check"
    with target.open(stored.name) as stream:
        manifest = extract_verified(stream, check, label=stored.location)
    assert manifest["counts"]["blobs"] == 1
    restored = (check / "blobs/ws/originals/ab/big").read_bytes()
    assert restored == hashlib.sha256(b"seed").digest() * (48 * MiB // 32)


def test_a_corrupted_archive_in_the_bucket_is_refused_and_nothing_changes(
        tmp_path, source_files, s3_server):
    bucket = new_bucket(s3_server)
    env = environment(tmp_path / "data", None, SEMANTIC_SEARCH="false", **s3_env(s3_server))
    cli(env, "ingest", str(source_files), "--collection", "Harbour")
    cli(env, "backup", "--to", f"s3://{bucket}/")
    (key,) = keys(s3_server, bucket)
    client = s3_server.client()
    data = bytearray(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    data[data.find(b"forklift tipped over")] ^= 0x20  # one flipped bit inside an original
    client.put_object(Bucket=bucket, Key=key, Body=bytes(data))
    fresh = environment(tmp_path / "fresh", None, SEMANTIC_SEARCH="false", **s3_env(s3_server))
    result = CliRunner().invoke(app, ["restore", f"s3://{bucket}/{key}"], env=fresh)
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "corrupted" in message and "checksum mismatch" in message
    fresh_blobs = tmp_path / "fresh" / "blobs"
    assert not fresh_blobs.exists() or not any(fresh_blobs.rglob("*"))
    missing = CliRunner().invoke(app, ["restore", f"s3://{bucket}/casework-backup-"
                                       "20200101T000000Z.tar"], env=fresh)
    assert missing.exit_code == 1
    assert "no backup archive at s3://" in " ".join(missing.output.split())


def test_unusable_s3_locations_are_refused_with_the_reason(tmp_path, s3_server):
    blob_bucket = new_bucket(s3_server)
    env = environment(tmp_path / "data", None, SEMANTIC_SEARCH="false", **s3_env(s3_server),
                      S3_BUCKET=blob_bucket)
    runner = CliRunner()
    same = runner.invoke(app, ["backup", "--to", f"s3://{blob_bucket}/backups/"], env=env)
    assert same.exit_code == 1 and "is the blob bucket" in " ".join(same.output.split())
    absent = runner.invoke(app, ["backup", "--to", "s3://no-such-bucket-here/"], env=env)
    assert absent.exit_code == 1 and "does not exist" in " ".join(absent.output.split())
    assert keys(s3_server, blob_bucket) == []  # nothing was written anywhere
    no_bucket = runner.invoke(app, ["backup"], env={**env, "BACKUP_TARGET": "s3:///x/"})
    assert no_bucket.exit_code == 2  # the settings are refused before anything starts
    assert "needs a bucket" in " ".join(no_bucket.output.split())


def test_reading_a_stream_never_needs_to_seek(tmp_path):
    """The reader takes any forward-only stream: what an S3 GET body is."""
    from casework.backup.archive import ArchiveWriter

    class ForwardOnly(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            chunk = self.inner.read(min(len(buffer), 777))
            buffer[:len(chunk)] = chunk
            return len(chunk)

    sink = io.BytesIO()
    with ArchiveWriter(sink) as writer:
        writer.add_stream("blobs/a", 5, iter([b"he", b"llo"]))
        writer.finish({})
    manifest = extract_verified(ForwardOnly(sink.getvalue()), tmp_path, label="memory")
    assert (tmp_path / "blobs/a").read_bytes() == b"hello"
    assert manifest["files"]["blobs/a"]["size"] == 5
