"""The build_export job: one export's ZIP, streamed once into the blob store, then signed.

Order inside the archive: originals, texts, metadata.json and .csv, the report, README.txt,
checksums.sha256, public-key.pem, and last manifest.json and manifest.sig (the manifest can
only be written once every other member's hash is known). A retry starts the archive again
from the beginning; an attempt that fails or is stopped aborts its partial write, so a
finished export's key only ever holds a complete archive.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC

from casework import __version__
from casework.core.database import transaction
from casework.exports import contents, service
from casework.exports.archive import ExportArchive
from casework.exports.manifest import (
    CHECKSUMS,
    FORMAT,
    MANIFEST,
    PUBLIC_KEY,
    README,
    SIGNATURE,
    checksums_text,
    manifest_bytes,
    readme_text,
)
from casework.exports.members import ExportWriter
from casework.exports.report_source import IncludedReport, latest_report
from casework.exports.service import BuildPlan
from casework.exports.signing import ALGORITHM, SigningKey, SigningKeyError, load_signing_key
from casework.jobs.handlers import JobCancelled, JobContext, PermanentJobError

log = logging.getLogger(__name__)

PROGRESS_SECONDS = 0.5
# README, checksums, public key, manifest, signature; metadata.json and .csv.
ENVELOPE_FILES = 5
METADATA_FILES = 2


class _Progress:
    """Files and bytes done, written to the export row (and the job) at most every
    PROGRESS_SECONDS; where a build learns that its export was deleted or its job
    cancelled, and stops."""

    def __init__(self, ctx: JobContext, plan: BuildPlan, *, files_total: int,
                 bytes_total: int) -> None:
        self.ctx, self.plan = ctx, plan
        self.files, self.bytes = 0, 0
        self.files_total, self.bytes_total = max(files_total, 1), bytes_total
        self._last = time.monotonic()

    def file_done(self) -> None:
        self.files += 1
        self._maybe_report()

    def bytes_done(self, count: int) -> None:
        self.bytes += count
        self._maybe_report()

    def _maybe_report(self) -> None:
        if time.monotonic() - self._last >= PROGRESS_SECONDS:
            self.report()

    def report(self) -> None:
        self._last = time.monotonic()
        with transaction(self.ctx.runtime.sessions) as session:
            alive = service.record_progress(session=session,
                                            workspace_id=self.plan.workspace_id,
                                            export_id=self.plan.export_id, files=self.files,
                                            bytes_=min(self.bytes, self.bytes_total))
        if not alive:
            raise JobCancelled(f"export {self.plan.export_id} was deleted")
        done = (self.bytes + self.files) / (self.bytes_total + self.files_total)
        self.ctx.report_progress(min(done, 0.99))


def build_export(ctx: JobContext) -> None:
    runtime = ctx.runtime
    workspace_id = ctx.workspace_id or ""
    with transaction(runtime.sessions) as session:
        plan = service.start_build(session=session, workspace_id=workspace_id,
                                   export_id=ctx.payload["export_id"])
    if plan is None:
        return  # deleted while it waited
    try:
        key = load_signing_key(runtime.settings)
    except (SigningKeyError, ValueError) as exc:
        raise PermanentJobError(f"exports cannot be signed: {exc}") from None
    with transaction(runtime.read_sessions) as session:
        snapshot = contents.snapshot(session=session, workspace_id=workspace_id,
                                     collection_id=plan.collection_id,
                                     document_ids=plan.document_ids)
        report = latest_report(session=session, workspace_id=workspace_id,
                               collection_id=plan.collection_id) \
            if "report" in plan.include else None
    files_total = (ENVELOPE_FILES + (len(snapshot.ids) if "originals" in plan.include else 0)
                   + (snapshot.with_text if "text" in plan.include else 0)
                   + (METADATA_FILES if "metadata" in plan.include else 0)
                   + (len(report.files) if report else 0))
    bytes_total = snapshot.original_bytes if "originals" in plan.include else 0
    with transaction(runtime.sessions) as session:
        service.set_totals(session=session, workspace_id=workspace_id,
                           export_id=plan.export_id, files=files_total, bytes_=bytes_total)
    progress = _Progress(ctx, plan, files_total=files_total, bytes_total=bytes_total)
    blob_key = service.blob_key(workspace_id, plan.export_id)
    target = runtime.blobs.open_writer(blob_key)
    archive = ExportArchive(target, when=plan.created_at)
    try:
        writer = ExportWriter(runtime=runtime, plan=plan, archive=archive, ids=snapshot.ids,
                              file_done=progress.file_done, bytes_done=progress.bytes_done)
        _write(writer, plan, key, report=report)
        size, sha256 = archive.close()
        target.commit()
    except BaseException:
        archive.abandon()
        target.abort()
        raise
    warnings = writer.omitted_list()
    with transaction(runtime.sessions) as session:
        kept = service.finish_build(session=session, workspace_id=workspace_id,
                                    export_id=plan.export_id, size=size, sha256=sha256,
                                    fingerprint=key.fingerprint, files=progress.files,
                                    warnings=warnings, notify=runtime.notify_jobs)
    if not kept:
        runtime.blobs.delete(blob_key)  # deleted while it was being built
        return
    log.info("export built", extra={"export_id": plan.export_id, "size": size,
                                    "files": progress.files, "omitted": len(warnings)})


def _write(writer: ExportWriter, plan: BuildPlan, key: SigningKey, *,
           report: IncludedReport | None) -> None:
    """Every member in order, the manifest and its signature last."""
    if "originals" in plan.include:
        writer.write_originals()
    if "text" in plan.include:
        writer.write_texts()
    if "metadata" in plan.include:
        writer.write_metadata()
    report_entry = writer.write_report(report) if report is not None else None
    archive = writer.archive
    writer.list_member(archive.add_bytes(README, readme_text(
        export_id=plan.export_id, collection=plan.collection_name,
        fingerprint=key.fingerprint)), "readme")
    writer.list_member(archive.add_bytes(PUBLIC_KEY, key.public_pem()), "public_key")
    writer.list_member(archive.add_bytes(CHECKSUMS, checksums_text(writer.files)), "checksums")
    manifest = manifest_bytes({
        "format": FORMAT, "export_id": plan.export_id,
        "created_at": plan.created_at.astimezone(UTC).isoformat(),
        "generator": f"casework {__version__}",
        "workspace": {"id": plan.workspace_id, "name": plan.workspace_name},
        "collection": {"id": plan.collection_id, "name": plan.collection_name,
                       "reference": plan.collection_reference, "kind": plan.collection_kind},
        "selection": ({"documents": len(plan.document_ids)}
                      if plan.document_ids is not None else None),
        "include": plan.include, "strip_gps": plan.strip_gps,
        "signing": {"algorithm": ALGORITHM, "key_fingerprint": key.fingerprint,
                    "public_key": PUBLIC_KEY, "signature": SIGNATURE},
        "report": report_entry,
        "files": writer.files,
        "omitted": writer.omitted_list(),
    })
    archive.add_bytes(MANIFEST, manifest)
    archive.add_bytes(SIGNATURE, key.sign(manifest), compress=False)
    writer.file_done()
    writer.file_done()


def export_failed(ctx: JobContext, reason: str) -> None:
    """The job gave up: the export says why (the partial archive was already aborted)."""
    with transaction(ctx.runtime.sessions) as session:
        service.fail_build(session=session, workspace_id=ctx.workspace_id or "",
                           export_id=ctx.payload["export_id"], error=reason)
