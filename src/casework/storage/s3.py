"""Blobs in an S3-compatible bucket (AWS S3, MinIO, SeaweedFS, R2) for the scale-out shape.

Every process (API, workers) sees the same bucket, which is what lets them run on different
machines. Uploads go through boto3's transfer manager, so a large original is sent in
multipart pieces from the spooled file and never held in memory; reads are streamed.
Objects of unknown length (a backup archive produced as it is written) go through
`open_writer`, which holds one part in memory at a time.
"""

from __future__ import annotations

import io
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
        return None  # readers stream a temp copy (blobstore.local_copy)

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
        for key, _size in self.iter_objects(prefix):
            yield key

    def iter_objects(self, prefix: str = "") -> Iterator[tuple[str, int]]:
        """(key, size) of every object under `prefix`, in key order, 1000 per request.

        The listing carries the sizes, so a caller that streams many objects (a backup)
        needs no HEAD request per object.
        """
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"], int(item["Size"])

    def open_writer(self, key: str, *, part_size: int | None = None) -> S3StreamWriter:
        """A writable stream that becomes the object `key` on `commit()`, nothing before."""
        return S3StreamWriter(self.client, self.bucket, key, extra=self._extra(),
                              part_size=part_size or self.transfer.multipart_chunksize)

    def abort_stale_uploads(self, prefix: str, *, older_than_seconds: float) -> int:
        """Abort multipart uploads under `prefix` begun long ago by a writer that died.

        Their parts are invisible but billed until aborted (or until a bucket lifecycle
        rule does it). Returns how many were aborted.
        """
        import datetime as dt

        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=older_than_seconds)
        aborted = 0
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for upload in page.get("Uploads", []):
                if upload["Initiated"] < cutoff:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"])
                    aborted += 1
        return aborted

    def check(self) -> None:
        probe = ".probe"
        self.client.put_object(Bucket=self.bucket, Key=probe, Body=b"ok", **self._extra())
        self.client.delete_object(Bucket=self.bucket, Key=probe)


MIN_PART_BYTES = 5 * 1024 * 1024  # S3's floor for every part but the last
MAX_PARTS = 10_000


class S3StreamWriter(io.RawIOBase):
    """One object written as a stream of unknown length, as a multipart upload.

    At most one part (`part_size`) is buffered. The object appears only on `commit()`,
    complete, so a reader never sees half an archive; `abort()` (or a crash) leaves
    nothing visible. The part size doubles every 1,000 parts, so the 10,000-part limit
    is never the reason a large archive fails (16 MiB parts reach ~2.4 TB that way).
    """

    def __init__(self, client: Any, bucket: str, key: str, *, extra: dict[str, str],
                 part_size: int) -> None:
        super().__init__()
        self.client = client
        self.bucket = bucket
        self.key = key
        self.extra = extra
        self.part_size = max(part_size, MIN_PART_BYTES)
        self.size = 0
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._buffer += view
        while len(self._buffer) >= self.part_size:
            with memoryview(self._buffer) as whole:  # one copy of the part, not two
                part = bytes(whole[:self.part_size])
            del self._buffer[:self.part_size]
            self._send_part(part)
        return len(view)

    def _send_part(self, part: bytes) -> None:
        if self._upload_id is None:
            self._upload_id = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, **self.extra)["UploadId"]
        number = len(self._parts) + 1
        if number > MAX_PARTS:
            raise OSError(f"s3://{self.bucket}/{self.key}: more than {MAX_PARTS} parts")
        response = self.client.upload_part(Bucket=self.bucket, Key=self.key,
                                           UploadId=self._upload_id, PartNumber=number,
                                           Body=part)
        self._parts.append({"ETag": response["ETag"], "PartNumber": number})
        self.size += len(part)
        if number % 1000 == 0:
            self.part_size *= 2

    def commit(self) -> int:
        """Publish the object; returns its size in bytes."""
        if self._upload_id is None:  # smaller than one part: a single PUT is enough
            data = bytes(self._buffer)
            self.client.put_object(Bucket=self.bucket, Key=self.key, Body=data, **self.extra)
            self.size += len(data)
        else:
            if self._buffer:  # the last part may be smaller than the minimum
                self._send_part(bytes(self._buffer))
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts})
        self._buffer = bytearray()
        super().close()
        return self.size

    def abort(self) -> None:
        """Drop everything written; safe to call after a failed commit."""
        self._buffer = bytearray()
        if self._upload_id is not None:
            upload_id, self._upload_id = self._upload_id, None
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key,
                                               UploadId=upload_id)
        super().close()
