"""Blobs in an S3-compatible bucket (AWS S3, MinIO, SeaweedFS, R2) for the scale-out shape.

Every process (API, workers) sees the same bucket, which is what lets them run on different
machines. Uploads go through boto3's transfer manager, so a large original is sent in
multipart pieces from the spooled file and never held in memory; reads are streamed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from casework.storage.blobstore import BlobNotFound

_MISSING = {"404", "NoSuchKey", "NotFound"}


def _is_missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _MISSING


class S3BlobStore:
    def __init__(self, *, bucket: str, endpoint_url: str | None = None,
                 region: str = "us-east-1", access_key_id: str | None = None,
                 secret_access_key: str | None = None, sse: str | None = None,
                 multipart_threshold: int = 16 * 1024 * 1024,
                 max_pool_connections: int = 20) -> None:
        self.bucket = bucket
        self.sse = sse
        # Path-style addressing works with every S3 clone; AWS accepts it too.
        self.client: Any = boto3.client(
            "s3", endpoint_url=endpoint_url, region_name=region,
            aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
            config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                          retries={"max_attempts": 5, "mode": "standard"},
                          max_pool_connections=max_pool_connections))
        self.transfer = TransferConfig(multipart_threshold=multipart_threshold,
                                       multipart_chunksize=multipart_threshold,
                                       max_concurrency=4, use_threads=True)

    def _extra(self) -> dict[str, str]:
        return {"ServerSideEncryption": self.sse} if self.sse else {}

    def ensure_bucket(self) -> None:
        """Create the bucket if it is missing (development servers start empty)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if not _is_missing(exc) and "NoSuchBucket" not in str(exc):
                raise
            self.client.create_bucket(Bucket=self.bucket)

    def put_file(self, key: str, source: Path) -> None:
        # S3 makes an object visible only once complete, so a reader never sees half of it.
        self.client.upload_file(str(source), self.bucket, key, ExtraArgs=self._extra(),
                                Config=self.transfer)
        Path(source).unlink(missing_ok=True)

    def put_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, **self._extra())

    def _get(self, key: str, byte_range: str | None = None) -> Any:
        kwargs: dict[str, str] = {"Bucket": self.bucket, "Key": key}
        if byte_range:
            kwargs["Range"] = byte_range
        try:
            return self.client.get_object(**kwargs)["Body"]
        except ClientError as exc:
            if _is_missing(exc):
                raise BlobNotFound(key) from None
            raise

    def open_chunks(self, key: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        body = self._get(key)  # raises BlobNotFound now, not at the first iteration

        def _read() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(chunk_size)
            finally:
                body.close()

        return _read()

    def open_range(self, key: str, start: int, length: int,
                   chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        """Stream `length` bytes from `start` with one ranged GET, never the whole object."""
        if length <= 0:
            return iter(())
        body = self._get(key, f"bytes={start}-{start + length - 1}")

        def _read() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(chunk_size)
            finally:
                body.close()

        return _read()

    def local_path(self, key: str) -> Path | None:
        return None  # readers stream a temp copy (ingest.pipeline.local_copy)

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise BlobNotFound(key)
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)  # missing keys are fine

    def delete_prefix(self, prefix: str) -> None:
        """Remove every blob under `prefix` + "/", listed and deleted 1000 at a time."""
        batch: list[dict[str, str]] = []
        for key in self.iter_keys(prefix.rstrip("/") + "/"):
            batch.append({"Key": key})
            if len(batch) == 1000:
                self._delete_batch(batch)
                batch = []
        if batch:
            self._delete_batch(batch)

    def _delete_batch(self, objects: list[dict[str, str]]) -> None:
        self.client.delete_objects(Bucket=self.bucket,
                                   Delete={"Objects": objects, "Quiet": True})

    def presigned_url(self, key: str, *, expires_seconds: int = 900,
                      filename: str | None = None) -> str:
        """A time-limited GET link, so large downloads can bypass the API processes."""
        params: dict[str, str] = {"Bucket": self.bucket, "Key": key}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        return self.client.generate_presigned_url("get_object", Params=params,
                                                  ExpiresIn=expires_seconds)

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"]

    def check(self) -> None:
        probe = ".probe"
        self.client.put_object(Bucket=self.bucket, Key=probe, Body=b"ok", **self._extra())
        self.client.delete_object(Bucket=self.bucket, Key=probe)
