"""Backup archives in an S3-compatible bucket: streamed in as a multipart upload.

The archive is written part by part while it is produced (one part in memory), so a
backup needs neither the memory nor the local disk for a copy of the whole archive: what
a short-lived container (a cron job) has is enough. The object appears only when the
upload completes; a failed or killed backup leaves an incomplete upload that is aborted
here on the next backup after a day (or by a bucket lifecycle rule), never an archive.

Credentials, endpoint, region and SSE are the blob store's S3_* settings. The bucket must
not be the blob bucket itself: a backup of the blobs would then contain every earlier
backup, and whoever can delete blobs could delete the backups too.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from urllib3.exceptions import HTTPError as Urllib3Error

from casework.backup.archive import BackupError
from casework.backup.targets import (
    S3_SCHEME,
    STALE_PARTIAL_SECONDS,
    StoredArchive,
    is_archive_name,
)
from casework.storage.s3 import S3BlobStore, S3StreamWriter

if TYPE_CHECKING:
    from casework.core.settings import Settings

log = logging.getLogger(__name__)

@contextmanager
def _s3_errors(what: str) -> Iterator[None]:
    """Turn boto's exceptions into BackupError: the CLI prints one clear line."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = str(error.get("Code", "")), error.get("Message") or str(exc)
        if code == "NoSuchBucket":
            raise BackupError(f"{what}: the bucket does not exist or these S3 credentials "
                              f"cannot see it ({code})") from None
        raise BackupError(f"{what}: S3 answered {code}: {message}") from None
    except (BotoCoreError, Urllib3Error) as exc:
        raise BackupError(f"{what}: {exc}") from None


class _S3Upload:
    def __init__(self, target: S3BackupTarget, name: str, writer: S3StreamWriter) -> None:
        self.target = target
        self.name = name
        self.writer = writer

    def write(self, data: bytes) -> int:
        with _s3_errors(f"uploading {self.target.url(self.name)}"):
            return self.writer.write(data)

    def commit(self) -> StoredArchive:
        with _s3_errors(f"completing {self.target.url(self.name)}"):
            size = self.writer.commit()
        return StoredArchive(self.name, size, self.target.url(self.name))

    def abort(self) -> None:
        with _s3_errors(f"aborting {self.target.url(self.name)}"):
            self.writer.abort()


class _S3Reader(io.RawIOBase):
    """A GET's body as a raw stream; network failures surface as OSError, which the
    archive reader reports as an unreadable archive instead of a traceback."""

    def __init__(self, body: Any, url: str) -> None:
        self.body = body
        self.url = url

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self.body.read(len(buffer))
        except (BotoCoreError, Urllib3Error) as exc:
            raise OSError(f"reading {self.url} failed: {exc}") from None
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self.body.close()
        super().close()


class S3BackupTarget:
    def __init__(self, store: S3BlobStore, *, prefix: str = "",
                 part_size: int | None = None) -> None:
        self.store = store
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.part_size = part_size
        self.location = f"{S3_SCHEME}{store.bucket}/{self.prefix}"

    @classmethod
    def from_settings(cls, settings: Settings, *, bucket: str,
                      prefix: str) -> S3BackupTarget:
        if not bucket:
            raise BackupError("an S3 backup location needs a bucket: s3://bucket/prefix/")
        if bucket == settings.s3_bucket:
            raise BackupError(
                f"the backup bucket {bucket!r} is the blob bucket (S3_BUCKET): every backup "
                "would contain the earlier ones, and losing the bucket would lose both. "
                "Use a bucket of its own for backups.")
        secret = settings.s3_secret_access_key
        store = S3BlobStore(bucket=bucket, endpoint_url=settings.s3_endpoint_url,
                            region=settings.s3_region, access_key_id=settings.s3_access_key_id,
                            secret_access_key=secret.get_secret_value() if secret else None,
                            sse=settings.s3_sse,
                            multipart_threshold=settings.s3_multipart_threshold_bytes)
        return cls(store, prefix=prefix, part_size=settings.s3_multipart_threshold_bytes)

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def url(self, name: str) -> str:
        return f"{self.location}{name}"

    def begin(self, name: str) -> _S3Upload:
        try:
            self.store.abort_stale_uploads(self.prefix, older_than_seconds=STALE_PARTIAL_SECONDS)
        except (ClientError, BotoCoreError) as exc:
            # Housekeeping only: some S3 clones cannot list uploads, some keys may not.
            log.warning("could not clean up incomplete uploads under %s: %s", self.location, exc)
        writer = self.store.open_writer(self.key(name), part_size=self.part_size)
        return _S3Upload(self, name, writer)

    def open(self, name: str) -> IO[bytes]:
        url = self.url(name)
        with _s3_errors(f"reading {url}"):
            try:
                body = self.store.client.get_object(Bucket=self.store.bucket,
                                                    Key=self.key(name))["Body"]
            except ClientError as exc:
                if str(exc.response.get("Error", {}).get("Code")) in ("NoSuchKey", "404"):
                    raise BackupError(f"no backup archive at {url}") from None
                raise
        return io.BufferedReader(_S3Reader(body, url), buffer_size=1024 * 1024)

    def list_archives(self) -> list[StoredArchive]:
        with _s3_errors(f"listing {self.location}"):
            found = [StoredArchive(key[len(self.prefix):], size, f"{S3_SCHEME}"
                                   f"{self.store.bucket}/{key}")
                     for key, size in self.store.iter_objects(self.prefix)
                     if is_archive_name(key[len(self.prefix):])]
        return sorted(found, key=lambda a: a.name)

    def delete(self, name: str) -> None:
        if not is_archive_name(name):
            raise ValueError(f"not a casework archive name: {name!r}")
        with _s3_errors(f"deleting {self.url(name)}"):
            self.store.delete(self.key(name))
