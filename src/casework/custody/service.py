"""Recording where each copy of a document came from, and reading its custody record:
the digests of the original and every arrival of those bytes, oldest first."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.core.errors import InvalidInput
from casework.core.scoping import scoped
from casework.custody.models import DocumentLocation
from casework.documents import service as documents_service
from casework.documents.models import Document
from casework.storage.blobstore import BlobStore, original_key
from casework.storage.spool import digest_blocks

MAX_CUSTODIAN = 200
MAX_SOURCE_PATH = 1024
MAX_LOCATIONS = 1000  # a custody record lists at most this many arrivals (oldest first)


@dataclass(frozen=True, slots=True)
class Arrival:
    """Who sent a batch of files, how, and what they said of where the files came from."""

    via: str  # "api", "cli", "attachment" or "archive" (a member of the parent document)
    custodian: str | None = None
    source_path: str | None = None
    user_id: str | None = None
    api_key_id: str | None = None
    label: str | None = None
    parent_document_id: str | None = None

    @classmethod
    def by(cls, principal: Principal, *, custodian: str | None = None,
           source_path: str | None = None) -> Arrival:
        return cls(via="api", custodian=custodian, source_path=source_path,
                   user_id=principal.user_id, api_key_id=principal.api_key_id,
                   label=principal.label)


def clean_field(value: str | None, *, name: str, limit: int) -> str | None:
    """A custodian or source path as given, trimmed; refused when too long or holding
    control characters (which would forge lines in a report or a CSV). Empty is None."""
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        return None
    if len(value) > limit:
        raise InvalidInput(f"{name} is longer than {limit} characters",
                           details={"field": name, "limit": limit})
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        raise InvalidInput(f"{name} holds control characters", details={"field": name})
    return value


def clean_arrival_fields(*, custodian: str | None,
                         source_path: str | None) -> tuple[str | None, str | None]:
    return (clean_field(custodian, name="custodian", limit=MAX_CUSTODIAN),
            clean_field(source_path, name="source_path", limit=MAX_SOURCE_PATH))


def record_location(*, session: Session, document: Document, arrival: Arrival,
                    filename: str, collection_id: str | None,
                    duplicate: bool) -> DocumentLocation:
    """One arrival of `document`'s bytes, in the caller's transaction."""
    location = DocumentLocation(
        workspace_id=document.workspace_id, document_id=document.id,
        collection_id=collection_id, filename=filename[:255],
        source_path=arrival.source_path, custodian=arrival.custodian, via=arrival.via,
        uploaded_by_user_id=arrival.user_id, uploaded_by_api_key_id=arrival.api_key_id,
        uploaded_by_label=(arrival.label or None) and arrival.label[:320],
        parent_document_id=arrival.parent_document_id, duplicate=duplicate)
    session.add(location)
    return location


def has_arrival(*, session: Session, document: Document, arrival: Arrival) -> bool:
    """Whether this very arrival (the same container and path inside it) is recorded: a
    container's job retried after a crash stores its members again, and each must stay
    one arrival, not two (docs/mail.md#scale)."""
    return session.scalar(scoped(DocumentLocation, document.workspace_id).where(
        DocumentLocation.document_id == document.id,
        DocumentLocation.parent_document_id == arrival.parent_document_id,
        DocumentLocation.via == arrival.via,
        DocumentLocation.source_path.is_(None) if arrival.source_path is None
        else DocumentLocation.source_path == arrival.source_path,
    ).with_only_columns(DocumentLocation.id).limit(1)) is not None


@dataclass(slots=True)
class CustodyRecord:
    document: Document
    locations: list[DocumentLocation] = field(default_factory=list)

    @property
    def first_received_at(self) -> datetime:
        return self.locations[0].received_at if self.locations else self.document.created_at

    @property
    def custodians(self) -> list[str]:
        return sorted({loc.custodian for loc in self.locations if loc.custodian})


def custody_records(*, session: Session, workspace_id: str,
                    documents: list[Document]) -> dict[str, CustodyRecord]:
    """The custody records of several documents at once (a report, an export)."""
    records = {d.id: CustodyRecord(d) for d in documents}
    if not records:
        return records
    rows = session.scalars(scoped(DocumentLocation, workspace_id).where(
        DocumentLocation.document_id.in_(list(records))).order_by(
        DocumentLocation.received_at, DocumentLocation.id))
    for location in rows:
        record = records[location.document_id]
        if len(record.locations) < MAX_LOCATIONS:
            record.locations.append(location)
    return records


def custody_record(*, session: Session, workspace_id: str, document_id: str) -> CustodyRecord:
    document = documents_service.get_document(session=session, workspace_id=workspace_id,
                                              document_id=document_id)
    return custody_records(session=session, workspace_id=workspace_id,
                           documents=[document])[document.id]


@dataclass(slots=True)
class BackfillReport:
    filled: int = 0
    last_id: str = ""  # where the next batch starts
    missing: list[str] = field(default_factory=list)  # document ids whose original is gone
    mismatched: list[str] = field(default_factory=list)  # originals whose SHA-256 changed


def backfill_digests(*, session: Session, blobs: BlobStore, workspace_id: str | None,
                     limit: int, after_id: str = "") -> BackfillReport:
    """MD5 and SHA-1 for up to `limit` documents stored before they were kept, each
    original streamed once from the blob store. Its SHA-256 is checked on the way: an
    original that no longer matches is reported and left without digests."""
    report = BackfillReport()
    query = select(Document).where(Document.md5.is_(None), Document.id > after_id).order_by(
        Document.id).limit(limit)
    if workspace_id is not None:
        query = query.where(Document.workspace_id == workspace_id)
    for document in session.scalars(query).all():
        report.last_id = document.id
        key = original_key(document.workspace_id, document.sha256)
        if not blobs.exists(key):
            report.missing.append(document.id)
            continue
        digests = digest_blocks(blobs.open_chunks(key))
        if digests.sha256 != document.sha256:
            report.mismatched.append(document.id)
            continue
        document.md5, document.sha1 = digests.md5, digests.sha1
        report.filled += 1
    session.flush()
    return report


@dataclass(frozen=True, slots=True)
class ContainerMember:
    """One member of a container that became a document: its arrival from the container
    (path inside it, in `location.source_path`) and the document it is now."""

    location: DocumentLocation
    document: Document

    @property
    def inner_path(self) -> str:
        """The path inside the container: what follows the last "!/" of the source path."""
        source = self.location.source_path or self.location.filename
        return source.rsplit("!/", 1)[-1]


def container_members(*, session: Session, workspace_id: str, document_id: str,
                      limit: int, offset: int) -> tuple[Document, list[ContainerMember], int]:
    """The documents that arrived from inside `document_id` (archive members, attachments),
    by their path inside it; a member whose bytes were already known is listed too (its
    arrival from this container is a location of the existing document)."""
    container = documents_service.get_document(session=session, workspace_id=workspace_id,
                                               document_id=document_id)
    query = scoped(DocumentLocation, workspace_id).where(
        DocumentLocation.parent_document_id == container.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.add_columns(Document).join(Document, Document.id == DocumentLocation.document_id)
        .where(Document.workspace_id == workspace_id)
        .order_by(DocumentLocation.source_path, DocumentLocation.id)
        .limit(limit).offset(offset)).all()
    return container, [ContainerMember(location, document) for location, document in rows], total


def arrived_from(*, session: Session, document: Document) -> DocumentLocation | None:
    """The first arrival of `document` from inside another document, if it came so."""
    return session.scalars(scoped(DocumentLocation, document.workspace_id).where(
        DocumentLocation.document_id == document.id,
        DocumentLocation.parent_document_id.is_not(None)).order_by(
        DocumentLocation.received_at, DocumentLocation.id).limit(1)).first()
