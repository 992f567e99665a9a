"""Writing each part of an export into its archive: originals, texts, metadata, the report.

`ExportWriter` walks the export's documents once per part (a batch of rows at a time) and
appends members to the `ExportArchive`; it gathers the manifest's file list as it goes.
Originals stream from the blob store and are hashed on the way: an original whose bytes no
longer match the SHA-256 recorded at upload fails the export rather than travel as
"byte-identical".
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from casework.core.database import transaction
from casework.core.scoping import find_scoped
from casework.documents.models import Document
from casework.exports import contents
from casework.exports.archive import ExportArchive, WrittenMember
from casework.exports.gps import DamagedMetadata, Patch, apply_patches, gps_patches
from casework.exports.manifest import MemberNames, original_path, text_path
from casework.exports.report_source import IncludedReport
from casework.exports.service import BuildPlan
from casework.jobs.handlers import PermanentJobError
from casework.runtime import Runtime
from casework.storage.blobstore import BlobNotFound, original_key

HEAD_BYTES = 256 * 1024  # a JPEG's EXIF and XMP sit in its first 128 KB
CSV_COLUMNS = ("document_id", "filename", "original", "text", "title", "media_type",
               "size_bytes", "sha256", "status", "page_count", "created_at", "captured_at",
               "width", "height", "duration_seconds", "tags", "gps_latitude", "gps_longitude",
               "omitted", "md5", "sha1", "custodians", "arrivals")


class _HeadReader:
    """Random reads for the GPS finder: served from the blob's first HEAD_BYTES, fetched
    once, and by ranged reads past them (a TIFF's directories may sit anywhere)."""

    def __init__(self, runtime: Runtime, key: str, size: int) -> None:
        self.runtime, self.key, self.size = runtime, key, size
        self.head = b"".join(runtime.blobs.open_range(key, 0, min(HEAD_BYTES, size)))

    def read(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self.size - offset))
        if offset + length <= len(self.head):
            return self.head[offset:offset + length]
        if length == 0:
            return b""
        return b"".join(self.runtime.blobs.open_range(self.key, offset, length))


@dataclass
class ExportWriter:
    runtime: Runtime
    plan: BuildPlan
    archive: ExportArchive
    ids: list[str]
    file_done: Callable[[], None]
    bytes_done: Callable[[int], None]
    files: list[dict[str, Any]] = field(default_factory=list)
    omitted: dict[str, str] = field(default_factory=dict)  # document id -> why
    paths: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> its members
    names: MemberNames = field(default_factory=MemberNames)

    def _documents(self) -> Iterator[contents.ExportDocument]:
        return contents.documents(sessions=self.runtime.read_sessions,
                                  workspace_id=self.plan.workspace_id, ids=self.ids)

    def _name(self, document: Document) -> str:
        if document.id not in self.paths:
            self.paths[document.id] = {"name": self.names.for_document(document.filename,
                                                                       document.id)}
        return self.paths[document.id]["name"]

    def list_member(self, member: WrittenMember, kind: str, **extra: Any) -> None:
        """Put a written member in the manifest's file list."""
        self.files.append({"path": member.path, "size": member.size,
                           "sha256": member.sha256, "kind": kind, **extra})
        self.file_done()

    def _omit(self, document: Document, reason: str) -> None:
        self.omitted[document.id] = reason

    # --- originals ---------------------------------------------------------------------

    def write_originals(self) -> None:
        for document, _tags, _custody in self._documents():
            self._write_original(document)

    def _gps_patches(self, document: Document, key: str) -> list[Patch] | None:
        """What to blank in this file; None when it must be left out (a position casework
        knows of that this format cannot lose)."""
        if not self.plan.strip_gps:
            return []
        found: list[Patch] | None = None
        if document.media_type.startswith("image/"):
            try:
                found = gps_patches(_HeadReader(self.runtime, key, document.size_bytes).read,
                                    document.size_bytes, document.media_type)
            except DamagedMetadata:
                found = None
        if found is None:
            return None if contents.knows_location(document) else []
        return found

    def _write_original(self, document: Document) -> None:
        key = original_key(self.plan.workspace_id, document.sha256)
        try:
            patches = self._gps_patches(document, key)
            if patches is None:
                self._omit(document, f"its position could not be removed from a "
                           f"{document.media_type} file (strip_gps)")
                return
            chunks = self.runtime.blobs.open_chunks(key)
        except BlobNotFound:
            self._missing(document)
            return
        path = original_path(self._name(document))
        if not patches:
            member = self.archive.add(path, chunks, compress=False, size=document.size_bytes,
                                      on_bytes=self.bytes_done)
            self._check(document, member.sha256, member.size)
            self.list_member(member, "original", document_id=document.id,
                         identical_to_original=True)
        else:
            digest = hashlib.sha256()

            def hashed() -> Iterator[bytes]:
                for chunk in chunks:
                    digest.update(chunk)
                    yield chunk

            member = self.archive.add(path, apply_patches(hashed(), patches), compress=False,
                                      size=document.size_bytes, on_bytes=self.bytes_done)
            self._check(document, digest.hexdigest(), member.size)
            self.list_member(member, "original", document_id=document.id,
                         identical_to_original=False, original_sha256=document.sha256,
                         original_size=document.size_bytes, changes=["gps_removed"])
        self.paths[document.id]["original"] = path

    def _check(self, document: Document, sha256: str, size: int) -> None:
        if sha256 != document.sha256 or size != document.size_bytes:
            raise PermanentJobError(
                f"the stored original of {document.filename} ({document.id}) no longer "
                f"matches the SHA-256 recorded at upload: the blob store holds damaged bytes")

    def _missing(self, document: Document) -> None:
        with transaction(self.runtime.read_sessions) as session:
            still_there = find_scoped(session, Document, self.plan.workspace_id,
                                      document.id) is not None
        if still_there:
            raise PermanentJobError(f"the stored original of {document.filename} "
                                    f"({document.id}) is missing from the blob store")
        self._omit(document, "deleted while the export was being built")

    # --- texts -------------------------------------------------------------------------

    def write_texts(self) -> None:
        for document, _tags, _custody in self._documents():
            if not contents.has_text(document) or document.id in self.omitted:
                continue
            pages = contents.page_texts(sessions=self.runtime.read_sessions,
                                        workspace_id=self.plan.workspace_id,
                                        document_id=document.id)
            encoded = ((("\f" if n else "") + text).encode()
                       for n, text in enumerate(pages))
            path = text_path(self._name(document))
            member = self.archive.add(path, encoded, compress=True)
            self.paths[document.id]["text"] = path
            self.list_member(member, "text", document_id=document.id)

    # --- metadata ----------------------------------------------------------------------

    def _record(self, document: Document, tags: list[str],
                custody: dict[str, Any]) -> dict[str, Any]:
        files = {k: v for k, v in self.paths.get(document.id, {}).items() if k != "name"}
        record = contents.metadata_record(document, tags, files=files,
                                          strip_gps=self.plan.strip_gps, custody=custody)
        if document.id in self.omitted:
            record["omitted"] = self.omitted[document.id]
        return record

    def write_metadata(self) -> None:
        plan = self.plan
        head = {"export_id": plan.export_id,
                "collection": {"id": plan.collection_id, "name": plan.collection_name,
                               "reference": plan.collection_reference,
                               "kind": plan.collection_kind}}

        def json_chunks() -> Iterator[bytes]:
            yield json.dumps(head, ensure_ascii=False)[:-1].encode() + b', "documents": [\n'
            for n, (document, tags, custody) in enumerate(self._documents()):
                line = json.dumps(self._record(document, tags, custody), ensure_ascii=False)
                yield ((",\n" if n else "") + line).encode()
            yield b"\n]}\n"

        self.list_member(self.archive.add("metadata.json", json_chunks(), compress=True),
                     "metadata")
        self.list_member(self.archive.add("metadata.csv", self._csv_chunks(), compress=True),
                     "metadata")

    def _csv_chunks(self) -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for document, tags, custody in self._documents():
            record = self._record(document, tags, custody)
            gps = record["metadata"].get("gps") or {}
            writer.writerow([spreadsheet_safe(value) for value in (
                document.id, document.filename, record["files"].get("original"),
                record["files"].get("text"), document.title, document.media_type,
                document.size_bytes, document.sha256, record["status"], document.page_count,
                record["created_at"], record["captured_at"], document.width, document.height,
                document.duration_seconds, "; ".join(tags), gps.get("latitude"),
                gps.get("longitude"), record.get("omitted"), document.md5, document.sha1,
                "; ".join(custody["custodians"]), len(custody["locations"]))])
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue().encode()

    # --- the report --------------------------------------------------------------------

    def write_report(self, report: IncludedReport) -> dict[str, Any]:
        """The report's files under report/, checked against the digests recorded when it
        was written; what the manifest says about it."""
        for file in report.files:
            member = self.archive.add(f"report/{file.name}",
                                      self.runtime.blobs.open_chunks(file.key),
                                      compress=False, size=file.size)
            if member.sha256 != file.sha256 or member.size != file.size:
                raise PermanentJobError(
                    f"the stored {file.name} of report {report.report_id} no longer matches "
                    "the SHA-256 recorded when it was written")
            self.list_member(member, "report", report_id=report.report_id)
        return {"report_id": report.report_id,
                "generated_at": report.generated_at.isoformat()
                if report.generated_at else None,
                "inventory_sha256": report.inventory_sha256,
                "files": [f"report/{file.name}" for file in report.files]}

    def omitted_list(self) -> list[dict[str, str]]:
        return [{"document_id": document_id, "reason": reason}
                for document_id, reason in self.omitted.items()]


def spreadsheet_safe(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (CSV injection)."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
