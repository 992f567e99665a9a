"""Custody record API shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from casework.custody.service import ContainerMember, CustodyRecord
from casework.documents.models import DocumentStatus


class LocationOut(BaseModel):
    """One arrival of the bytes: where from, whose, who sent them, when, how."""

    model_config = ConfigDict(from_attributes=True)
    received_at: datetime
    filename: str
    source_path: str | None
    custodian: str | None
    collection_id: str | None
    via: str
    uploaded_by_user_id: str | None
    uploaded_by_api_key_id: str | None
    uploaded_by_label: str | None
    parent_document_id: str | None
    duplicate: bool


class CustodyOut(BaseModel):
    document_id: str
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    md5: str | None  # None until `casework custody backfill` for documents stored before
    sha1: str | None
    first_received_at: datetime
    custodians: list[str]
    locations: list[LocationOut]

    @classmethod
    def build(cls, record: CustodyRecord) -> CustodyOut:
        doc = record.document
        return cls(document_id=doc.id, filename=doc.filename, media_type=doc.media_type,
                   size_bytes=doc.size_bytes, sha256=doc.sha256, md5=doc.md5, sha1=doc.sha1,
                   first_received_at=record.first_received_at,
                   custodians=record.custodians,
                   locations=[LocationOut.model_validate(loc) for loc in record.locations])


class MemberOut(BaseModel):
    """A member of a container (archive, e-mail) that became a document."""

    document_id: str
    path: str  # inside the container: "dir/report.pdf"
    source_path: str | None  # the whole way there: "case.zip!/inner.zip!/dir/report.pdf"
    filename: str
    media_type: str
    size_bytes: int
    status: DocumentStatus
    duplicate: bool  # the bytes were already known: this is the existing document
    received_at: datetime

    @classmethod
    def build(cls, member: ContainerMember) -> MemberOut:
        doc, loc = member.document, member.location
        return cls(document_id=doc.id, path=member.inner_path, source_path=loc.source_path,
                   filename=loc.filename, media_type=doc.media_type,
                   size_bytes=doc.size_bytes, status=doc.status, duplicate=loc.duplicate,
                   received_at=loc.received_at)


class SkippedOut(BaseModel):
    path: str
    code: str  # unsafe_path, not_a_file, encrypted, too_deep, too_large, unreadable,
    # unsupported_media_type, ...
    reason: str


class ChildrenOut(BaseModel):
    """A container's members: those that became documents (paged), and those skipped."""

    document_id: str
    members: int = Field(description="Entries the container listed (0: not a container "
                         "or not read yet).")
    items: list[MemberOut]
    total: int
    limit: int
    offset: int
    skipped: list[SkippedOut] = Field(description="The first skipped members, why.")
    skipped_count: int
