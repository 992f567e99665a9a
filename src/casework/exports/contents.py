"""What goes into an export, read from the database in short transactions and batches.

The builder fixes the list of documents when it starts (`snapshot`), then reads them
back BATCH at a time for each part of the archive: a collection of a hundred thousand
documents is never held whole, and no read transaction stays open for the minutes a large
archive takes (on SQLite that would hold back the WAL checkpoint meanwhile).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from casework.core.database import transaction
from casework.core.scoping import scoped
from casework.custody import service as custody_service
from casework.custody.service import CustodyRecord
from casework.documents.models import Document, DocumentPage, DocumentStatus
from casework.tags import service as tags_service

BATCH = 500
PAGE_BATCH = 200
# What casework knows of where a document was made: removed from metadata.json with
# strip_gps, and the reason a file that cannot be cleaned is left out.
LOCATION_KEYS = ("gps", "location")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The documents of an export, fixed when its build starts."""

    ids: list[str]
    original_bytes: int
    with_text: int


def snapshot(*, session: Session, workspace_id: str, collection_id: str,
             document_ids: list[str] | None) -> Snapshot:
    """The whole collection, or those of `document_ids` still in it, in upload order."""
    query = (select(Document.id, Document.size_bytes, Document.status)
             .where(Document.workspace_id == workspace_id,
                    Document.collection_id == collection_id)
             .order_by(Document.created_at, Document.id))
    rows = list(session.execute(query))
    if document_ids is not None:
        wanted = set(document_ids)
        rows = [row for row in rows if row[0] in wanted]
    return Snapshot(ids=[row[0] for row in rows], original_bytes=sum(row[1] for row in rows),
                    with_text=sum(1 for row in rows if row[2] == DocumentStatus.ready))


class ExportDocument(NamedTuple):
    document: Document
    tags: list[str]
    custody: dict[str, Any]  # its chain of custody, as metadata.json carries it


def documents(*, sessions: sessionmaker[Session], workspace_id: str,
              ids: list[str]) -> Iterator[ExportDocument]:
    """Each document still there, with its tags and custody, in the order of `ids`."""
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        with transaction(sessions) as session:
            rows = {d.id: d for d in session.scalars(
                scoped(Document, workspace_id).where(Document.id.in_(batch)))}
            tags = tags_service.document_tags(session=session, workspace_id=workspace_id,
                                              document_ids=list(rows))
            custody = {document_id: custody_dict(record) for document_id, record in
                       custody_service.custody_records(session=session,
                                                       workspace_id=workspace_id,
                                                       documents=list(rows.values())).items()}
            session.expunge_all()  # plain objects from here on: read after the commit
        for document_id in batch:
            if document_id in rows:
                yield ExportDocument(rows[document_id], tags.get(document_id, []),
                                     custody[document_id])


def custody_dict(record: CustodyRecord) -> dict[str, Any]:
    """The document's digests for other tools and every arrival of its bytes (issue #20)."""
    document = record.document
    return {"sha256": document.sha256, "md5": document.md5, "sha1": document.sha1,
            "custodians": record.custodians,
            "locations": [{"filename": loc.filename, "source_path": loc.source_path,
                           "custodian": loc.custodian, "via": loc.via,
                           "uploaded_by": loc.uploaded_by_label,
                           "collection_id": loc.collection_id,
                           "received_at": _iso(loc.received_at), "duplicate": loc.duplicate}
                          for loc in record.locations]}


def has_text(document: Document) -> bool:
    return document.status == DocumentStatus.ready


def page_texts(*, sessions: sessionmaker[Session], workspace_id: str,
               document_id: str) -> Iterator[str]:
    """The document's pages in order, PAGE_BATCH per read: a 5,000-page text is streamed."""
    after = 0
    while True:
        with transaction(sessions) as session:
            rows = list(session.execute(
                select(DocumentPage.number, DocumentPage.text)
                .where(DocumentPage.workspace_id == workspace_id,
                       DocumentPage.document_id == document_id,
                       DocumentPage.number > after)
                .order_by(DocumentPage.number).limit(PAGE_BATCH)))
        for number, text in rows:
            yield text
            after = number
        if len(rows) < PAGE_BATCH:
            return


def knows_location(document: Document) -> bool:
    metadata = document.metadata_json or {}
    return any(metadata.get(key) for key in LOCATION_KEYS)


def metadata_record(document: Document, tags: list[str], *, files: dict[str, str],
                    strip_gps: bool, custody: dict[str, Any]) -> dict[str, Any]:
    metadata = dict(document.metadata_json or {})
    if strip_gps:
        for key in LOCATION_KEYS:
            metadata.pop(key, None)
    return {
        "document_id": document.id, "filename": document.filename, "title": document.title,
        "media_type": document.media_type, "size_bytes": document.size_bytes,
        "sha256": document.sha256, "status": str(document.status), "error": document.error,
        "page_count": document.page_count, "tags": tags,
        "created_at": _iso(document.created_at), "processed_at": _iso(document.processed_at),
        "captured_at": _iso(document.captured_at), "width": document.width,
        "height": document.height, "duration_seconds": document.duration_seconds,
        "parent_document_id": document.parent_document_id, "files": files,
        "metadata": metadata, "custody": custody,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
