"""Producing one document: choose its pages (the redacted copy, the original, a text or
image rendered to PDF, or a slip sheet when it is withheld as privileged or produced
natively), Bates-stamp them in the parser process, and describe it for the load files.

Every file passes through a temporary folder and is streamed into the archive from disk:
at no point is a document, or the production, held whole in memory.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select

from casework.core.database import transaction
from casework.custody.service import custody_records
from casework.documents.models import Document
from casework.exports import contents
from casework.ingest.sandbox import SandboxFailure
from casework.ingest.sniff import EML, MSG
from casework.jobs.handlers import PermanentJobError
from casework.productions import natives, sheets
from casework.productions.families import MAILBOX_TYPES
from casework.productions.models import Production
from casework.productions.stamping import bates_label
from casework.redaction.models import Redaction
from casework.redaction.production import RedactionUnverified, redacted_pdf
from casework.review.models import DocumentCoding
from casework.runtime import Runtime
from casework.storage.blobstore import BlobNotFound, local_copy, original_key

PDF = "application/pdf"
# The e-mail formats: an Outlook .msg is read into the same message and metadata (sender,
# recipients, date) as an .eml (ingest/parsers/msg.py), and is produced as one.
EMAIL_TYPES = frozenset({EML, MSG})


class _StampReply(BaseModel):
    """The parser process's reply, validated: it read a hostile file."""

    model_config = ConfigDict(extra="forbid")
    page_count: int = Field(ge=1, le=1_000_000)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the load files and the privilege log say about a document, read in batches."""

    document: Document
    privileged: bool
    basis: str | None
    custodians: list[str]
    has_redactions: bool
    has_children: bool  # a container (e-mail with attachments, archive): never native
    in_mailbox: bool  # a message found in a mailbox: the top of its own family


@dataclass(slots=True)
class Produced:
    """One document as produced: its Bates range and files inside the archive."""

    facts: Facts
    labels: list[str]
    image: Path
    text: Path | None
    redacted: bool
    native: str | None = None  # the member path under NATIVES/ when produced natively
    record: dict[str, Any] = field(default_factory=dict)


def read_facts(*, runtime: Runtime, workspace_id: str, ids: list[str]) -> list[Facts]:
    """Documents, codings and custodians of `ids` (one batch), in the given order."""
    with transaction(runtime.read_sessions) as session:
        documents = {d.id: d for d in session.query(Document).filter(
            Document.workspace_id == workspace_id, Document.id.in_(ids))}
        codings = {c.document_id: c for c in session.query(DocumentCoding).filter(
            DocumentCoding.workspace_id == workspace_id, DocumentCoding.document_id.in_(ids))}
        with_boxes = set(session.scalars(select(Redaction.document_id).where(
            Redaction.workspace_id == workspace_id, Redaction.document_id.in_(ids))))
        parents = set(session.scalars(select(Document.parent_document_id).where(
            Document.workspace_id == workspace_id,
            Document.parent_document_id.in_(ids)).distinct()))
        parent_ids = {d.parent_document_id for d in documents.values()
                      if d.parent_document_id is not None}
        mailboxes = set(session.scalars(select(Document.id).where(
            Document.workspace_id == workspace_id, Document.id.in_(parent_ids),
            Document.media_type.in_(MAILBOX_TYPES)))) if parent_ids else set()
        custody = custody_records(session=session, workspace_id=workspace_id,
                                  documents=list(documents.values()))
        for document in documents.values():
            session.expunge(document)
    facts = []
    for document_id in ids:
        document = documents.get(document_id)
        if document is None:
            raise PermanentJobError(f"document {document_id} was deleted after the "
                                    "production was asked for: ask for it again")
        coding = codings.get(document_id)
        facts.append(Facts(document=document, privileged=bool(coding and coding.privileged),
                           basis=coding.privilege_basis if coding else None,
                           custodians=custody[document_id].custodians,
                           has_redactions=document_id in with_boxes,
                           has_children=document_id in parents,
                           in_mailbox=document.parent_document_id in mailboxes))
    return facts


class DocumentProducer:
    """Turns a document into stamped pages in `work` (one folder per production build)."""

    def __init__(self, *, runtime: Runtime, production: Production, work: Path) -> None:
        self.runtime = runtime
        self.production = production
        self.work = work

    def _labels(self, first: int, count: int) -> list[str]:
        p = self.production
        return [bates_label(p.bates_prefix, first + i, p.digits) for i in range(count)]

    def _stamp(self, *, source: Path, media_type: str, out: Path, text_out: Path | None,
               first: int, name: str) -> int:
        p = self.production
        try:
            raw = self.runtime.sandbox.production_stamp({
                "path": str(source.resolve()), "media_type": media_type,
                "out": str(out.resolve()),
                "text_out": str(text_out.resolve()) if text_out else None,
                "prefix": p.bates_prefix, "first_number": first, "digits": p.digits,
                "position": p.stamp_position, "legend": p.legend,
                "max_pages": self.runtime.settings.production_max_pages})
            return _StampReply.model_validate(raw).page_count
        except SandboxFailure as exc:
            raise PermanentJobError(f"{name} could not be stamped: {exc}") from None
        except ValidationError:
            raise PermanentJobError(f"{name}: the parser process sent a malformed "
                                    "reply") from None

    def produce(self, facts: Facts, *, first: int) -> Produced:
        """The document's stamped PDF (and its text) in the work folder, numbered from
        `first`."""
        document = facts.document
        name = f"{document.filename} ({document.id})"
        out = self.work / "image.pdf"
        text = self.work / "text.txt"
        text.unlink(missing_ok=True)
        if facts.privileged:
            sheet = self.work / "slip.pdf"
            sheets.slip_sheet(basis=facts.basis, out=sheet)
            count = self._stamp(source=sheet, media_type=PDF, out=out, text_out=None,
                                first=first, name=name)
            return Produced(facts, self._labels(first, count), out, None, redacted=False)
        if natives.goes_native(policy=self.production.natives,
                               media_type=document.media_type, filename=document.filename,
                               privileged=facts.privileged,
                               has_redactions=facts.has_redactions,
                               has_children=facts.has_children):
            return self._native(facts, first=first, out=out, text=text, name=name)
        redacted = False
        if document.media_type == PDF:
            key = original_key(document.workspace_id, document.sha256)
            copy = self._redacted(document, name) if facts.has_redactions else None
            if copy is not None:
                key, redacted = copy, True
            try:
                with local_copy(self.runtime.blobs, key, self.runtime.settings.tmp_dir) as src:
                    # A redacted copy's text is read from the copy itself: the extracted
                    # text of the original still holds what was redacted.
                    count = self._stamp(source=Path(src), media_type=PDF, out=out,
                                        text_out=text if redacted else None, first=first,
                                        name=name)
            except BlobNotFound:
                raise PermanentJobError(f"the stored PDF of {name} is missing") from None
        elif document.media_type.startswith("image/"):
            key = original_key(document.workspace_id, document.sha256)
            with local_copy(self.runtime.blobs, key, self.runtime.settings.tmp_dir) as src:
                count = self._stamp(source=Path(src), media_type=document.media_type,
                                    out=out, text_out=None, first=first, name=name)
        else:
            rendered = self.work / "rendered.pdf"
            sheets.text_pdf(pages=self._pages(document), title=document.filename,
                            out=rendered)
            count = self._stamp(source=rendered, media_type=PDF, out=out, text_out=None,
                                first=first, name=name)
        if not redacted:
            self._write_text(document, text)
        return Produced(facts, self._labels(first, count), out, text, redacted=redacted)

    def _native(self, facts: Facts, *, first: int, out: Path, text: Path, name: str
                ) -> Produced:
        """A slip sheet naming the native file (streamed into the archive by the build)
        and the extracted text, as for an imaged document."""
        document = facts.document
        p = self.production
        member = "NATIVES/" + natives.native_name(
            bates_label(p.bates_prefix, first, p.digits), filename=document.filename,
            media_type=document.media_type)
        sheet = self.work / "slip.pdf"
        sheets.native_slip_sheet(native_path=member.replace("/", "\\"), out=sheet)
        count = self._stamp(source=sheet, media_type=PDF, out=out, text_out=None,
                            first=first, name=name)
        self._write_text(document, text)
        return Produced(facts, self._labels(first, count), out, text, redacted=False,
                        native=member)

    def _redacted(self, document: Document, name: str) -> str | None:
        """The verified redacted copy's blob key, None without redactions; a copy that
        fails its check fails the production (nothing redacted may leave unchecked)."""
        try:
            with transaction(self.runtime.sessions) as session:
                copy = redacted_pdf(session=session, runtime=self.runtime,
                                    workspace_id=document.workspace_id,
                                    document_id=document.id)
        except RedactionUnverified as exc:
            raise PermanentJobError(f"the redacted copy of {name} failed its check: "
                                    f"{exc}") from None
        return copy.key if copy is not None else None

    def _pages(self, document: Document) -> Any:
        return contents.page_texts(sessions=self.runtime.read_sessions,
                                   workspace_id=document.workspace_id, document_id=document.id)

    def _write_text(self, document: Document, path: Path) -> None:
        with open(path, "w", encoding="utf-8") as out:
            for n, page in enumerate(self._pages(document)):
                out.write(("\f" if n else "") + page)


def work_folder(runtime: Runtime) -> tempfile.TemporaryDirectory[str]:
    runtime.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(dir=runtime.settings.tmp_dir, prefix="production-")
