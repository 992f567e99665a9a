"""Where tag models are kept: versioned artefacts in a folder or an S3 prefix.

Layout: `<root>/<workspace id>/<version>.model` plus `<root>/<workspace id>/LATEST`, a small
JSON pointer (`{"version", "sha256"}`) written only after the model it names is complete.
A folder writes a temporary file and renames it (atomic on one filesystem); S3 receives each
object in one PUT, which is never visible half-written, and the pointer last. So a reader
that follows LATEST never meets a partial model, whatever it races with.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from casework.core.errors import CaseworkError
from casework.core.settings import Settings

S3_SCHEME = "s3://"
POINTER = "LATEST"
SUFFIX = ".model"
_VERSION = re.compile(r"^v\d{8}T\d{12}Z-[0-9a-f]{6}$")


class ModelStoreError(CaseworkError):
    code = "model_store_error"
    status_code = 500


@dataclass(frozen=True, slots=True)
class LatestModel:
    version: str
    sha256: str


def new_version(now: datetime | None = None) -> str:
    """v20261220T031500123456Z-1a2b3c: sorts by time, unique between concurrent writers."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%f")
    return f"v{stamp}Z-{uuid.uuid4().hex[:6]}"


def is_version(name: str) -> bool:
    return bool(_VERSION.match(name))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_verified(data: bytes, *, expected_sha256: str) -> Any:
    """Unpickle a model only if its bytes are the ones the run that wrote it recorded.

    Unpickling runs code chosen by whoever wrote the bytes. The model folder or bucket may
    be writable by more parties than the database (a shared volume, a bucket with its own
    keys), so the SHA-256 the run stored in `learning_run` - in casework's own database -
    decides whether these bytes are casework's own model before `pickle.loads` sees them.
    """
    if sha256_of(data) != expected_sha256:
        raise ModelStoreError("the stored model does not match the checksum recorded by "
                              "its run; it was not loaded")
    return pickle.loads(data)  # noqa: S301 - checked against the database just above


class ModelStore(Protocol):
    location: str

    def write(self, workspace_id: str, version: str, data: bytes) -> None:
        """Store a complete model, then point LATEST at it."""

    def read(self, workspace_id: str, version: str) -> bytes: ...

    def latest(self, workspace_id: str) -> LatestModel | None: ...

    def versions(self, workspace_id: str) -> list[str]:
        """The workspace's versions, oldest first."""

    def delete(self, workspace_id: str, version: str) -> None: ...


def _pointer_bytes(version: str, data: bytes) -> bytes:
    return json.dumps({"version": version, "sha256": sha256_of(data)}).encode()


def _parse_pointer(raw: bytes) -> LatestModel:
    found = json.loads(raw)
    return LatestModel(version=str(found["version"]), sha256=str(found["sha256"]))


def _check_names(workspace_id: str, version: str | None = None) -> None:
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", workspace_id):
        raise ValueError(f"not a workspace id: {workspace_id!r}")
    if version is not None and not is_version(version):
        raise ValueError(f"not a model version: {version!r}")


class LocalModelStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)

    def _folder(self, workspace_id: str) -> Path:
        _check_names(workspace_id)
        return self.root / workspace_id

    def _replace(self, folder: Path, name: str, data: bytes) -> None:
        """Write beside the final name, flush to disk, rename over it: all or nothing."""
        partial = folder / f".{name}.{uuid.uuid4().hex}.partial"
        try:
            with partial.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, folder / name)
        finally:
            partial.unlink(missing_ok=True)

    def write(self, workspace_id: str, version: str, data: bytes) -> None:
        _check_names(workspace_id, version)
        folder = self._folder(workspace_id)
        folder.mkdir(parents=True, exist_ok=True)
        self._replace(folder, version + SUFFIX, data)
        self._replace(folder, POINTER, _pointer_bytes(version, data))

    def read(self, workspace_id: str, version: str) -> bytes:
        _check_names(workspace_id, version)
        try:
            return (self._folder(workspace_id) / (version + SUFFIX)).read_bytes()
        except FileNotFoundError:
            raise ModelStoreError(f"model {version} is not in {self.location}") from None

    def latest(self, workspace_id: str) -> LatestModel | None:
        try:
            return _parse_pointer((self._folder(workspace_id) / POINTER).read_bytes())
        except FileNotFoundError:
            return None

    def versions(self, workspace_id: str) -> list[str]:
        folder = self._folder(workspace_id)
        if not folder.is_dir():
            return []
        return sorted(p.name[:-len(SUFFIX)] for p in folder.glob(f"*{SUFFIX}")
                      if is_version(p.name[:-len(SUFFIX)]))

    def delete(self, workspace_id: str, version: str) -> None:
        _check_names(workspace_id, version)
        (self._folder(workspace_id) / (version + SUFFIX)).unlink(missing_ok=True)


class S3ModelStore:
    """One PUT per object: S3 shows an object only once it is whole, so no temporary name
    is needed; LATEST is written after the model it names."""

    def __init__(self, store: Any, *, prefix: str) -> None:
        self.store = store  # storage.s3.S3BlobStore
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.location = f"{S3_SCHEME}{store.bucket}/{self.prefix}"

    def _key(self, workspace_id: str, name: str) -> str:
        _check_names(workspace_id)
        return f"{self.prefix}{workspace_id}/{name}"

    def write(self, workspace_id: str, version: str, data: bytes) -> None:
        _check_names(workspace_id, version)
        self.store.put_bytes(self._key(workspace_id, version + SUFFIX), data)
        self.store.put_bytes(self._key(workspace_id, POINTER), _pointer_bytes(version, data))

    def read(self, workspace_id: str, version: str) -> bytes:
        _check_names(workspace_id, version)
        key = self._key(workspace_id, version + SUFFIX)
        if not self.store.exists(key):
            raise ModelStoreError(f"model {version} is not in {self.location}")
        return b"".join(self.store.open_chunks(key))

    def latest(self, workspace_id: str) -> LatestModel | None:
        key = self._key(workspace_id, POINTER)
        if not self.store.exists(key):
            return None
        return _parse_pointer(b"".join(self.store.open_chunks(key)))

    def versions(self, workspace_id: str) -> list[str]:
        folder = self._key(workspace_id, "")
        names = (key[len(folder):] for key in self.store.iter_keys(folder))
        return sorted(n[:-len(SUFFIX)] for n in names
                      if n.endswith(SUFFIX) and is_version(n[:-len(SUFFIX)]))

    def delete(self, workspace_id: str, version: str) -> None:
        _check_names(workspace_id, version)
        self.store.delete(self._key(workspace_id, version + SUFFIX))


def open_model_store(settings: Settings) -> ModelStore:
    """MODEL_STORAGE_PATH: a folder, or s3://bucket/prefix/ with the S3_* settings."""
    location = settings.resolved_model_storage
    if not location.startswith(S3_SCHEME):
        return LocalModelStore(Path(location))
    # Imported here: boto3 costs every CLI command ~0.2 s, and most installs use a folder.
    from casework.storage.s3 import S3BlobStore

    bucket, _, prefix = location[len(S3_SCHEME):].partition("/")
    secret = settings.s3_secret_access_key
    store = S3BlobStore(bucket=bucket, endpoint_url=settings.s3_endpoint_url,
                        region=settings.s3_region, access_key_id=settings.s3_access_key_id,
                        secret_access_key=secret.get_secret_value() if secret else None,
                        sse=settings.s3_sse,
                        multipart_threshold=settings.s3_multipart_threshold_bytes)
    return S3ModelStore(store, prefix=prefix)


def prune(store: ModelStore, workspace_id: str, *, keep: int) -> list[str]:
    """Delete all but the `keep` newest versions (never the one LATEST names)."""
    latest = store.latest(workspace_id)
    versions = store.versions(workspace_id)
    doomed = [v for v in versions[:-keep] if latest is None or v != latest.version]
    for version in doomed:
        with contextlib.suppress(FileNotFoundError):
            store.delete(workspace_id, version)
    return doomed
