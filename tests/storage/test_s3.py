"""The S3 blob store against a real S3 server (SeaweedFS): multipart, streams, ranges, links."""

import hashlib
import uuid

import httpx
import pytest

from casework.storage.blobstore import BlobNotFound
from casework.storage.s3 import S3BlobStore
from tests.fixtures.scaleout import S3_ACCESS_KEY, S3_SECRET_KEY

MiB = 1024 * 1024


@pytest.fixture
def store(s3_server) -> S3BlobStore:
    store = S3BlobStore(bucket=f"cwtest-{uuid.uuid4().hex[:12]}",
                        endpoint_url=s3_server.endpoint_url, access_key_id=S3_ACCESS_KEY,
                        secret_access_key=S3_SECRET_KEY, multipart_threshold=5 * MiB)
    store.ensure_bucket()
    return store


def test_large_file_goes_up_in_parts_and_comes_back_identical(store, tmp_path):
    payload = hashlib.sha256(b"seed").digest() * (13 * MiB // 32)  # 13 MiB: three parts
    source = tmp_path / "big.bin"
    source.write_bytes(payload)
    store.put_file("ws/originals/ab/big", source)
    assert not source.exists()  # consumed, like the local store
    head = store.client.head_object(Bucket=store.bucket, Key="ws/originals/ab/big")
    assert head["ETag"].strip('"').endswith("-3")  # S3's mark of a multipart upload
    assert store.size("ws/originals/ab/big") == len(payload)
    chunks = list(store.open_chunks("ws/originals/ab/big", chunk_size=MiB))
    assert max(len(c) for c in chunks) <= MiB  # streamed, not read whole
    assert b"".join(chunks) == payload


def test_ranged_read_fetches_only_the_range(store):
    store.put_bytes("k/range", bytes(range(256)) * 4)
    assert b"".join(store.open_range("k/range", 10, 5)) == bytes([10, 11, 12, 13, 14])
    assert b"".join(store.open_range("k/range", 1020, 4)) == bytes([252, 253, 254, 255])


def test_missing_blobs_and_deletes(store):
    with pytest.raises(BlobNotFound):
        store.open_chunks("nope")
    with pytest.raises(BlobNotFound):
        store.size("nope")
    assert not store.exists("nope")
    store.delete("nope")  # not an error
    store.put_bytes("a/x", b"1")
    assert store.exists("a/x")
    store.delete("a/x")
    assert not store.exists("a/x")


def test_delete_prefix_removes_only_that_prefix(store):
    for name in ("ws/derived/h1/thumb.jpg", "ws/derived/h1/poster.jpg",
                 "ws/derived/h10/thumb.jpg"):
        store.put_bytes(name, b"img")
    store.delete_prefix("ws/derived/h1")
    assert sorted(store.iter_keys("ws/")) == ["ws/derived/h10/thumb.jpg"]


def test_presigned_url_downloads_without_credentials(store):
    store.put_bytes("ws/originals/cd/doc", b"%PDF- presigned")
    url = store.presigned_url("ws/originals/cd/doc", expires_seconds=60, filename="doc.pdf")
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.content == b"%PDF- presigned"
    assert "doc.pdf" in response.headers["content-disposition"]


def test_server_side_encryption_is_requested_when_configured(s3_server, tmp_path):
    store = S3BlobStore(bucket=f"cwtest-{uuid.uuid4().hex[:12]}",
                        endpoint_url=s3_server.endpoint_url, access_key_id=S3_ACCESS_KEY,
                        secret_access_key=S3_SECRET_KEY, sse="AES256")
    store.ensure_bucket()
    source = tmp_path / "secret.txt"
    source.write_bytes(b"sealed")
    store.put_file("ws/originals/ef/secret", source)
    head = store.client.head_object(Bucket=store.bucket, Key="ws/originals/ef/secret")
    assert head.get("ServerSideEncryption") == "AES256"
    assert b"".join(store.open_chunks("ws/originals/ef/secret")) == b"sealed"
    store.check()
