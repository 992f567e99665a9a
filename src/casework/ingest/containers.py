"""Containers on the server side: how deep a document sits inside other containers, where
its members say they came from, and what its metadata says of them.

The parser process writes the members and their manifest (ingest/members.py);
`store_members` reads the manifest back a batch at a time and hands each batch to
`ingest.service.accept_attachments`, which ingests each member like an upload, linked to
its container, in a transaction of its own (docs/mail.md#scale).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.core.database import transaction
from casework.custody.models import DocumentLocation
from casework.documents.models import Document
from casework.ingest import service as ingest_service
from casework.ingest.parsers import EmbeddedFile
from casework.ingest.sandbox import AttachmentFile, ExtractionResult
from casework.ingest.service import ContainerArrival
from casework.jobs.handlers import PermanentJobError
from casework.runtime import Runtime

MAX_SKIPPED_LISTED = 100  # in the document's metadata; the listing page has every one
MAX_LISTED = 1000  # member entries kept for metadata (a message's attachments)
MAX_MANIFEST_LINE = 8192  # an entry is a file name, a name and a path of <= 1000 characters


@dataclass(slots=True)
class StoredMembers:
    """What storing a container's members came to, without holding every member: counts,
    the first entries (a message's attachments) and the first skipped ones."""

    documents: int = 0
    listed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    skipped_count: int = 0
    gone: bool = False  # the container was deleted meanwhile: stopped

    def add(self, listed: list[dict[str, Any]]) -> None:
        for item in listed:
            if "document_id" in item:
                self.documents += 1
            else:
                self.skipped_count += 1
                if len(self.skipped) < MAX_SKIPPED_LISTED:
                    self.skipped.append({"inner_path": item["inner_path"],
                                         "code": item["code"], "reason": item["skipped"]})
            if len(self.listed) < MAX_LISTED:
                self.listed.append(item)


def read_manifest(made: Path, name: str | None) -> Iterator[EmbeddedFile]:
    """The members the parser process wrote to `made`, one manifest line at a time. The
    manifest came from the process that read hostile bytes: each line is validated."""
    if name is None:
        return
    with open(made / name, encoding="utf-8", errors="replace") as fh:
        while line := fh.readline(MAX_MANIFEST_LINE + 1):
            try:
                if len(line) > MAX_MANIFEST_LINE:
                    raise ValueError("line too long")
                entry = AttachmentFile.model_validate_json(line)
            except (ValidationError, ValueError):
                raise PermanentJobError("the parser process listed its members wrongly: "
                                        "not stored") from None
            path = made / entry.file
            if not path.is_file():
                raise PermanentJobError(f"the parser process listed a member it did not "
                                        f"write ({entry.file}): not stored")
            yield EmbeddedFile(filename=entry.filename, path=path,
                               inner_path=entry.inner_path, modified_at=entry.modified_at)


def store_members(*, runtime: Runtime, document: Document, extracted: ExtractionResult,
                  made: Path) -> StoredMembers:
    """The container's members as documents, CONTAINER_COMMIT_MEMBERS per transaction.

    Each batch is hashed before its transaction (hashing inside would hold SQLite's write
    lock), and committed on its own: a mailbox of 50,000 messages never holds the lock for
    minutes, its first messages are processed while the rest are stored, and a job retried
    after a crash stores each member again as the same document (deduplicated by SHA-256,
    its arrival not recorded twice: ingest.service.accept_attachments), so it resumes.
    """
    stored = StoredMembers()
    files = read_manifest(made, extracted.manifest)
    size = runtime.settings.container_commit_members
    while batch := list(islice(files, size)):
        hashed = ingest_service.hash_members(batch)
        with transaction(runtime.sessions) as session:
            if session.scalar(select(Document.id).where(
                    Document.workspace_id == document.workspace_id,
                    Document.id == document.id)) is None:
                stored.gone = True
                return stored
            stored.add(ingest_service.accept_attachments(
                session=session, runtime=runtime, workspace_id=document.workspace_id,
                collection_id=document.collection_id, files=hashed,
                container=container_arrival(session, document, via=extracted.members_via)))
    return stored


def container_depth(session: Session, document: Document, *, limit: int) -> int:
    """How many containers `document` sits inside (0: uploaded itself), counted up to
    `limit` + 1: a member links to its container through parent_document_id."""
    depth, parent_id = 0, document.parent_document_id
    while parent_id is not None and depth <= limit:
        depth += 1
        parent_id = session.scalar(select(Document.parent_document_id).where(
            Document.workspace_id == document.workspace_id, Document.id == parent_id))
    return depth


def container_arrival(session: Session, document: Document, *, via: str) -> ContainerArrival:
    """The arrival its members get: their source path continues the container's own
    ("outer.zip!/inner.zip!/a.pdf"), and they keep its custodian."""
    first = session.scalars(select(DocumentLocation).where(
        DocumentLocation.workspace_id == document.workspace_id,
        DocumentLocation.document_id == document.id,
    ).order_by(DocumentLocation.received_at, DocumentLocation.id).limit(1)).first()
    path = document.filename
    if first is not None and first.parent_document_id is not None and first.source_path:
        path = first.source_path  # itself a member: its path inside the outer container
    return ContainerArrival(parent_document_id=document.id, via=via, container_path=path,
                            custodian=first.custodian if first is not None else None)


def container_metadata(extracted: ExtractionResult, stored: StoredMembers | None
                       ) -> dict[str, Any]:
    """A summary for the document's metadata (the members themselves are its children and
    its listing page): counts, and the first skipped members with their reasons."""
    stored = stored or StoredMembers()
    skipped = [{"inner_path": s.inner_path, "code": s.code, "reason": s.reason}
               for s in extracted.skipped] + stored.skipped
    return {"via": extracted.members_via, "members": extracted.members,
            "documents": stored.documents, "skipped": skipped[:MAX_SKIPPED_LISTED],
            "skipped_count": extracted.skipped_count + stored.skipped_count}
