"""What a case report says, read from the database: the collection, summary counts, the
inventory of every document, the timeline, the key entities and the saved questions.

Everything here is a function of the stored rows only (no clock, no random order), so the
same collection gives the same content; the renderers (reports/html.py, reports/pdf.py)
add the one wall-clock value, the generation time. The inventory is also written as a CSV
(`inventory_csv`) whose SHA-256 the report's footer prints.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.audit.models import AuditEvent
from casework.collections import service as collections_service
from casework.core.errors import InvalidInput
from casework.custody import service as custody_service
from casework.custody.models import DocumentLocation
from casework.documents.models import Document
from casework.entities import service as entities_service
from casework.entities.models import EntityKind
from casework.reports.models import SavedQuestion
from casework.timeline import service as timeline_service

# A report lists every document or is refused: a partial inventory under a digest that
# claims to cover the collection would be worse than none (docs/reports.md).
MAX_DOCUMENTS = 20_000
TIMELINE_EVENTS = 500
ENTITIES_PER_KIND = 10
MAX_SAVED_QUESTIONS = 100
INVENTORY_COLUMNS = ("number", "name", "type", "pages", "size_bytes", "sha256", "received",
                     "uploader")
NOT_RECORDED = "not recorded"
KIND_LABELS = {
    EntityKind.person: "People", EntityKind.organisation: "Organisations",
    EntityKind.place: "Places", EntityKind.email: "E-mail addresses",
    EntityKind.phone: "Phone numbers", EntityKind.iban: "IBANs",
    EntityKind.money: "Amounts", EntityKind.date: "Dates",
    EntityKind.reference: "Reference numbers",
}


@dataclass(frozen=True, slots=True)
class InventoryRow:
    number: int
    document_id: str
    name: str
    media_type: str
    pages: int | None
    size_bytes: int
    sha256: str
    received: str  # ISO 8601, UTC, to the second: 2025-03-01T09:30:00Z
    uploader: str


@dataclass(frozen=True, slots=True)
class Summary:
    documents: int
    pages: int
    size_bytes: int
    by_type: tuple[tuple[str, int], ...]
    by_status: tuple[tuple[str, int], ...]
    entities: int
    timeline_events: int  # all of them; the report lists the first TIMELINE_EVENTS
    saved_questions: int


@dataclass(frozen=True, slots=True)
class TimelineLine:
    date: str
    sentence: str
    document: str  # "#3 Title"
    page: int


@dataclass(frozen=True, slots=True)
class EntityLine:
    name: str
    mentions: int
    documents: int


@dataclass(frozen=True, slots=True)
class EntityGroup:
    kind: str
    label: str
    total: int
    top: tuple[EntityLine, ...]


@dataclass(frozen=True, slots=True)
class CitedPassage:
    document: str  # "#3 Title", or the title and "(no longer in the collection)"
    page: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class SavedAnswer:
    question: str
    answer: str
    found: bool
    mode: str
    confidence: float
    saved: str  # when and by whom
    citations: tuple[CitedPassage, ...]


@dataclass(frozen=True, slots=True)
class CustodyLine:
    """A document's digests for other tools and every arrival of its bytes (issue #20)."""

    number: int
    name: str
    md5: str | None
    sha1: str | None
    arrivals: tuple[str, ...]  # when · how · custodian · source · uploader, oldest first


@dataclass(frozen=True, slots=True)
class ReportContent:
    collection_id: str
    name: str
    kind: str
    reference: str | None
    description: str
    as_of: datetime
    summary: Summary
    inventory: tuple[InventoryRow, ...]
    inventory_csv: bytes
    inventory_sha256: str
    timeline: tuple[TimelineLine, ...]  # the first TIMELINE_EVENTS, in date order
    entities: tuple[EntityGroup, ...]
    questions: tuple[SavedAnswer, ...]
    custody: tuple[CustodyLine, ...] = ()


def stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def inventory_csv(rows: Iterable[InventoryRow]) -> bytes:
    """The inventory as UTF-8 CSV (RFC 4180 quoting, LF line ends, a header line): the
    bytes whose SHA-256 the report prints, so `sha256sum inventory.csv` checks it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(INVENTORY_COLUMNS)
    for row in rows:
        writer.writerow([row.number, row.name, row.media_type,
                         "" if row.pages is None else row.pages, row.size_bytes, row.sha256,
                         row.received, row.uploader])
    return buffer.getvalue().encode()


def _uploaders(session: Session, workspace_id: str, collection_id: str) -> dict[str, str]:
    """Who uploaded each document, from the audit log's `document.upload` events (the
    document table does not say). The first event naming a document as new wins."""
    found: dict[str, str] = {}
    rows = session.execute(select(
        AuditEvent.actor_label, AuditEvent.actor_user_id, AuditEvent.actor_api_key_id,
        AuditEvent.details,
    ).where(AuditEvent.workspace_id == workspace_id, AuditEvent.action == "document.upload",
            AuditEvent.target_id == collection_id).order_by(AuditEvent.id))
    for label, user_id, key_id, details in rows:
        who = label or (f"user {user_id}" if user_id else f"API key {key_id}")
        try:
            ids = json.loads(details or "{}").get("documents", [])
        except (ValueError, AttributeError):
            continue
        for document_id in ids if isinstance(ids, list) else []:
            found.setdefault(str(document_id), who)
    return found


def _documents(session: Session, workspace_id: str, collection_id: str) -> list[Document]:
    count = session.scalar(select(func.count()).select_from(Document).where(
        Document.workspace_id == workspace_id, Document.collection_id == collection_id)) or 0
    if count > MAX_DOCUMENTS:
        raise InvalidInput(f"this collection holds {count} documents; a report lists at most "
                           f"{MAX_DOCUMENTS}")
    return list(session.scalars(select(Document).where(
        Document.workspace_id == workspace_id, Document.collection_id == collection_id,
    ).order_by(Document.created_at, Document.sha256)))


def _inventory(documents: list[Document], uploaders: dict[str, str]) -> list[InventoryRow]:
    parents = {d.id: d.parent_document_id for d in documents}

    def uploader(document_id: str) -> str:
        # An e-mail attachment was brought in by whoever uploaded its message.
        current: str | None = document_id
        seen: set[str] = set()
        while current is not None and current not in uploaders and current not in seen:
            seen.add(current)
            current = parents.get(current)
        return uploaders.get(current or "", NOT_RECORDED)

    return [InventoryRow(number=number, document_id=d.id, name=d.filename,
                         media_type=d.media_type, pages=d.page_count, size_bytes=d.size_bytes,
                         sha256=d.sha256, received=stamp(d.created_at), uploader=uploader(d.id))
            for number, d in enumerate(documents, start=1)]


def _arrival(location: DocumentLocation) -> str:
    source = location.source_path or location.filename
    parts = [stamp(location.received_at), location.via,
             f"custodian {location.custodian}" if location.custodian else "no custodian",
             source, location.uploaded_by_label or NOT_RECORDED]
    return " · ".join(parts) + (" (the same bytes again)" if location.duplicate else "")


def _custody(session: Session, workspace_id: str, documents: list[Document],
             inventory: list[InventoryRow]) -> tuple[CustodyLine, ...]:
    records = custody_service.custody_records(session=session, workspace_id=workspace_id,
                                              documents=documents)
    return tuple(CustodyLine(number=row.number, name=row.name,
                             md5=records[row.document_id].document.md5,
                             sha1=records[row.document_id].document.sha1,
                             arrivals=tuple(_arrival(loc) for loc
                                            in records[row.document_id].locations))
                 for row in inventory)


def _entities(session: Session, workspace_id: str, collection_id: str
              ) -> tuple[EntityGroup, ...]:
    groups = []
    for kind in EntityKind:
        rows, total = entities_service.list_entities(
            session=session, workspace_id=workspace_id, kind=kind, q=None,
            collection_id=collection_id, limit=ENTITIES_PER_KIND, offset=0)
        if total:
            groups.append(EntityGroup(
                kind=kind.value, label=KIND_LABELS[kind], total=total,
                top=tuple(EntityLine(r.entity.name, r.mentions, r.documents) for r in rows)))
    return tuple(groups)


def _label(numbers: dict[str, int], document_id: str | None, title: str) -> str:
    number = numbers.get(document_id or "")
    if number is not None:
        return f"#{number} {title}"
    if document_id:
        return f"{title} (no longer in the collection)"
    return f"{title} (note)"


def _questions(session: Session, workspace_id: str, collection_id: str,
               numbers: dict[str, int]) -> tuple[SavedAnswer, ...]:
    rows = session.scalars(select(SavedQuestion).where(
        SavedQuestion.workspace_id == workspace_id,
        SavedQuestion.collection_id == collection_id,
    ).order_by(SavedQuestion.created_at, SavedQuestion.id).limit(MAX_SAVED_QUESTIONS))
    answers = []
    for row in rows:
        citations = tuple(CitedPassage(
            document=_label(numbers, c.get("document_id"), str(c.get("title", ""))),
            page=int(c.get("page", 1)), start=int(c.get("start", 0)),
            end=int(c.get("end", 0)), text=str(c.get("text", "")))
            for c in row.citations or [])
        saved = stamp(row.created_at) + (f" by {row.created_by_label}"
                                         if row.created_by_label else "")
        answers.append(SavedAnswer(question=row.question, answer=row.answer, found=row.found,
                                   mode=row.mode, confidence=round(row.confidence, 2),
                                   saved=saved, citations=citations))
    return tuple(answers)


def _timeline(session: Session, workspace_id: str, collection_id: str,
              numbers: dict[str, int]) -> tuple[tuple[TimelineLine, ...], int]:
    """The first TIMELINE_EVENTS events in date order (timeline/service.py), and how many
    there are in all."""
    page = timeline_service.collection_timeline_page(
        session=session, workspace_id=workspace_id, collection_id=collection_id,
        limit=TIMELINE_EVENTS)
    return tuple(TimelineLine(date=e.date, sentence=e.sentence,
                              document=_label(numbers, e.document_id, e.title), page=e.page)
                 for e in page.events), page.total


def _as_of(session: Session, workspace_id: str, collection_id: str,
           collection_updated: datetime) -> datetime:
    """The newest change the report reads: the collection's last edit, a document's
    arrival or text extraction, a saved question. Not a document's previews or vectors
    being made, which change nothing in the report (and so must not change its PDF)."""
    newest = [collection_updated]
    for column in (Document.created_at, Document.processed_at, SavedQuestion.updated_at):
        model = column.class_
        value = session.scalar(select(func.max(column)).where(
            model.workspace_id == workspace_id, model.collection_id == collection_id))
        if value is not None:
            newest.append(value)
    # The same bytes arriving again (from any collection) adds to the custody section.
    arrived = session.scalar(select(func.max(DocumentLocation.received_at)).where(
        DocumentLocation.workspace_id == workspace_id,
        DocumentLocation.document_id.in_(select(Document.id).where(
            Document.workspace_id == workspace_id, Document.collection_id == collection_id))))
    if arrived is not None:
        newest.append(arrived)
    return max(newest).replace(microsecond=0)


def build_content(*, session: Session, workspace_id: str, collection_id: str) -> ReportContent:
    """The report's content for a collection of this workspace (NotFound otherwise)."""
    collection = collections_service.get_collection(
        session=session, workspace_id=workspace_id, collection_id=collection_id)
    documents = _documents(session, workspace_id, collection_id)
    inventory = _inventory(documents, _uploaders(session, workspace_id, collection_id))
    numbers = {row.document_id: row.number for row in inventory}
    entities = _entities(session, workspace_id, collection_id)
    questions = _questions(session, workspace_id, collection_id, numbers)
    events, events_total = _timeline(session, workspace_id, collection_id, numbers)
    # Counted from the rows listed, so the summary always agrees with the inventory.
    summary = Summary(
        documents=len(documents), pages=sum(d.page_count or 0 for d in documents),
        size_bytes=sum(d.size_bytes for d in documents),
        by_type=tuple(sorted(Counter(d.media_type for d in documents).items())),
        by_status=tuple(sorted(Counter(str(d.status) for d in documents).items())),
        entities=sum(group.total for group in entities), timeline_events=events_total,
        saved_questions=len(questions))
    csv_bytes = inventory_csv(inventory)
    return ReportContent(
        collection_id=collection.id, name=collection.name, kind=str(collection.kind),
        reference=collection.reference, description=collection.description or "",
        as_of=_as_of(session, workspace_id, collection_id, collection.updated_at),
        summary=summary, inventory=tuple(inventory), inventory_csv=csv_bytes,
        inventory_sha256=hashlib.sha256(csv_bytes).hexdigest(), timeline=events,
        entities=entities, questions=questions,
        custody=_custody(session, workspace_id, documents, inventory))


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"
