"""The installation's signing key: made once in DATA_DIR (0600) by default, shared through
EXPORT_SIGNING_KEY where processes do not share DATA_DIR, which production then requires;
and exports on S3 blobs, streamed as a multipart upload."""

from __future__ import annotations

import io
import stat
import uuid
import zipfile

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from casework.core.settings import SettingsError, load_settings
from casework.exports.signing import KEY_FILE, load_signing_key
from casework.exports.verification import verify_export
from tests.conftest import create_collection, ingest, test_settings
from tests.exports.conftest import export_zip, start_export, wait_for_export, write
from tests.fixtures.media import audio
from tests.fixtures.scaleout import S3_ACCESS_KEY, S3_SECRET_KEY

PRODUCTION = {"environment": "production", "secret_key": "s" * 40, "admin_api_key": "k" * 40}
SECRET = "a-shared-export-signing-secret-0123456789"


def test_the_embedded_key_is_made_once_and_kept_private(tmp_path):
    settings = test_settings(tmp_path / "data")
    first = load_signing_key(settings)
    path = settings.data_dir / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_signing_key(settings).fingerprint == first.fingerprint  # the same, again
    other = load_signing_key(test_settings(tmp_path / "elsewhere"))
    assert other.fingerprint != first.fingerprint  # another DATA_DIR, another key


def test_a_configured_key_is_the_same_in_every_process_and_writes_nothing(tmp_path):
    api = load_signing_key(test_settings(tmp_path / "api", export_signing_key=SECRET))
    worker = load_signing_key(test_settings(tmp_path / "worker", export_signing_key=SECRET))
    assert api.fingerprint == worker.fingerprint
    assert not (tmp_path / "api" / KEY_FILE).exists()
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    from_pem = load_signing_key(test_settings(tmp_path / "pem", export_signing_key=pem))
    assert from_pem.public_pem().startswith(b"-----BEGIN PUBLIC KEY-----")


@pytest.mark.parametrize("shared", [{"redis_url": "redis://redis.internal:6379/0"},
                                    {"s3_bucket": "casework-blobs"}])
def test_production_with_several_processes_needs_a_configured_key(tmp_path, shared):
    with pytest.raises(SettingsError, match="EXPORT_SIGNING_KEY: several processes"):
        load_settings(_env_file=None, data_dir=tmp_path, **PRODUCTION, **shared)
    with pytest.raises(SettingsError, match="EXPORT_SIGNING_KEY: at least 32"):
        load_settings(_env_file=None, data_dir=tmp_path, **PRODUCTION, **shared,
                      export_signing_key="short")
    load_settings(_env_file=None, data_dir=tmp_path, **PRODUCTION, **shared,
                  export_signing_key=SECRET)
    load_settings(_env_file=None, data_dir=tmp_path, **PRODUCTION)  # one process: DATA_DIR


def test_an_unreadable_configured_key_fails_the_export_with_the_reason(tmp_path, make_client):
    client = make_client(test_settings(
        tmp_path / "data", export_signing_key="-----BEGIN PRIVATE KEY-----\nbroken\n"))
    collection = create_collection(client)
    ingest(client, collection["id"], ("a.txt", b"some text"))
    export = wait_for_export(client, start_export(client, collection["id"])["id"])
    assert export["status"] == "failed"
    assert "EXPORT_SIGNING_KEY is not a readable PEM" in export["error"]
    published = client.get("/api/v1/exports/public-key")
    assert published.status_code == 503
    assert "EXPORT_SIGNING_KEY is not a readable PEM" in published.json()["error"]["message"]


def test_an_export_on_s3_blobs_streams_into_the_bucket(tmp_path, make_client, s3_server):
    bucket = f"cwtest-{uuid.uuid4().hex[:12]}"
    client = make_client(test_settings(
        tmp_path / "data", s3_endpoint_url=s3_server.endpoint_url, s3_bucket=bucket,
        s3_access_key_id=S3_ACCESS_KEY, s3_secret_access_key=S3_SECRET_KEY,
        # 5 MiB parts: the 12 MB original crosses several, as a real archive does.
        s3_multipart_threshold_bytes=5 * 1024 * 1024))
    collection = create_collection(client)
    recording = audio(seconds=140)  # 12 MB of PCM: probed at ingest, not parsed
    ingest(client, collection["id"], ("interview.wav", recording), ("note.txt", b"small"))
    export, data = export_zip(client, collection["id"])
    head = s3_server.client().head_object(
        Bucket=bucket, Key=f"{export['download_url'].split('ws=')[1].split('&')[0]}"
        f"/exports/{export['id']}.zip")
    assert head["ContentLength"] == len(data) == export["size_bytes"]
    verdict = verify_export(write(tmp_path / "s3-export.zip", data))
    assert verdict.ok, verdict.problems
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        assert zipped.read("originals/interview.wav") == recording
