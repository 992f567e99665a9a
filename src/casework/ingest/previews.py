"""The previews job: thumbnails, page images, posters and contact sheets, after the text.

Drawing pictures used to happen inside the processing job, before a document was ready:
on 264 real PDFs (8,005 pages) that put rendering and WebP encoding of three pages per PDF
between every upload and its first search hit. Now a document is ready (keyword-
searchable) as soon as its text is indexed, and this job, queued at `JobPriority.derived`,
draws its pictures behind every waiting upload's text and ahead of bulk embedding
(docs/benchmarks.md#first-result). Until it is done the API says `preview_status:
pending` and thumbnail URLs are null, as they always were for a document in progress.

Drawing runs in the parser sandbox like extraction: the same hostile bytes are decoded
again, under the same limits. A failure is the previews' only: the document stays ready
and searchable, `preview_status` is `failed` and `metadata.preview_error` says why.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from casework.core.database import transaction
from casework.core.scoping import find_scoped
from casework.documents.models import Document, DocumentStatus, PreviewStatus
from casework.ingest.pipeline import tidy_if_deleted
from casework.ingest.sandbox import PreviewFiles, SandboxFailure
from casework.jobs.handlers import JobContext, PermanentJobError
from casework.runtime import Runtime
from casework.storage.blobstore import derived_key, local_copy, original_key


def derive_previews(ctx: JobContext) -> None:
    """Draw the document's previews in a parser process, store them, say they are ready."""
    runtime = ctx.runtime
    document = _ready_document(ctx)
    if document is None:
        return  # deleted, or re-processing: that run queues its own previews
    key = original_key(document.workspace_id, document.sha256)
    with local_copy(runtime.blobs, key, runtime.settings.tmp_dir) as path, \
            tempfile.TemporaryDirectory(dir=runtime.settings.tmp_dir,
                                        prefix="previews-") as made, \
            tidy_if_deleted(runtime, document):
        try:
            drawn = runtime.sandbox.derive(path=path, media_type=document.media_type,
                                           out_dir=Path(made),
                                           duration_seconds=document.duration_seconds)
        except SandboxFailure as exc:
            raise PermanentJobError(str(exc)) from None
        for name, seconds in drawn.stage_seconds.items():
            runtime.metrics.observe_stage(name, seconds)
        ctx.raise_if_cancelled()
        with runtime.metrics.time_stage("store_previews"):
            _store(runtime, document, Path(made), drawn)
        with transaction(runtime.sessions) as session:
            stored = find_scoped(session, Document, document.workspace_id, document.id)
            if stored is None:
                return
            metadata = {key: value for key, value in (stored.metadata_json or {}).items()
                        if key != "preview_error"}
            stored.metadata_json = {**metadata, **drawn.metadata}
            stored.preview_status = PreviewStatus.ready


def previews_failed(ctx: JobContext, reason: str) -> None:
    """The last attempt failed: the document stays searchable; say why it has no pictures."""
    with transaction(ctx.runtime.sessions) as session:
        document = find_scoped(session, Document, ctx.workspace_id or "",
                               ctx.payload["document_id"])
        if document is not None and document.preview_status == PreviewStatus.pending:
            document.preview_status = PreviewStatus.failed
            document.metadata_json = {**(document.metadata_json or {}),
                                      "preview_error": reason}


def _ready_document(ctx: JobContext) -> Document | None:
    with transaction(ctx.runtime.read_sessions) as session:
        document = find_scoped(session, Document, ctx.workspace_id or "",
                               ctx.payload["document_id"])
        if document is None or document.status != DocumentStatus.ready:
            return None
        session.expunge(document)
        return document


def _store(runtime: Runtime, document: Document, made: Path, drawn: PreviewFiles) -> None:
    """Copy what the parser process drew into the blob store (skipping what a rerun has)."""
    for name in drawn.files:
        key = derived_key(document.workspace_id, document.sha256, name)
        if not runtime.blobs.exists(key):
            runtime.blobs.put_bytes(key, (made / name).read_bytes())
