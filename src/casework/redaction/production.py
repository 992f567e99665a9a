"""Producing a document's redacted copy: drawn in a parser process (redaction/drawing.py),
checked (redaction/verification.py), kept as a derived blob beside the original (which is
never touched), and served only when the check passed.

`redacted_pdf` is the entry point for other features (productions): the document's
current verified copy, drawn anew when its redactions changed since.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from casework.accounts.principal import Principal
from casework.audit import service as audit
from casework.core.errors import Conflict, InvalidInput
from casework.core.ids import new_id
from casework.core.scoping import scoped
from casework.documents.models import Document, DocumentStatus
from casework.ingest.sandbox import SandboxFailure
from casework.redaction.models import RedactedCopy, Redaction
from casework.redaction.service import (
    fingerprint,
    list_redactions,
    redactable_document,
)
from casework.redaction.verification import verify
from casework.runtime import Runtime
from casework.storage.blobstore import derived_key, local_copy, original_key

DPI = 200  # a redacted page's picture: readable, and a page of A4 is ~250 KB
MAX_REDACTED_PAGES = 300


class RedactionUnverified(Conflict):
    code = "redaction_unverified"


class RedactionStale(Conflict):
    code = "redaction_stale"


class RedactionFailed(InvalidInput):
    code = "redaction_failed"


class _Covered(BaseModel):
    model_config = ConfigDict(extra="forbid")
    words: Annotated[list[Annotated[str, Field(max_length=2000)]], Field(max_length=2000)]
    source: str


class _Seen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, Field(max_length=1_000_000)]
    ocr: Annotated[str, Field(max_length=1_000_000)] | None
    ocr_error: str | None


class _Reread(BaseModel):
    model_config = ConfigDict(extra="forbid")
    metadata: dict[str, str]
    attachments: int
    annotations: int
    pages: dict[str, _Seen]


class _ProduceReply(BaseModel):
    """The parser process's reply, validated: it read the hostile original."""

    model_config = ConfigDict(extra="forbid")
    page_count: int
    covered: dict[str, _Covered]
    text_layer: str
    reread: _Reread


@dataclass(frozen=True, slots=True)
class RedactedPdf:
    """A verified redacted copy, and where its bytes are in the blob store."""

    copy: RedactedCopy
    key: str


def latest_copy(*, session: Session, workspace_id: str, document_id: str
                ) -> RedactedCopy | None:
    return session.scalars(scoped(RedactedCopy, workspace_id).where(
        RedactedCopy.document_id == document_id).order_by(
        RedactedCopy.created_at.desc()).limit(1)).first()


def _draw(*, runtime: Runtime, document: Document, redactions: list[Redaction],
          out: Path) -> dict[str, Any]:
    boxes: dict[str, list[list[float]]] = {}
    for r in redactions:
        boxes.setdefault(str(r.page), []).append([r.x0, r.y0, r.x1, r.y1])
    if len(boxes) > MAX_REDACTED_PAGES:
        raise InvalidInput(f"a redacted copy may have at most {MAX_REDACTED_PAGES} redacted "
                           "pages")
    key = original_key(document.workspace_id, document.sha256)
    with local_copy(runtime.blobs, key, runtime.settings.tmp_dir) as path:
        try:
            raw = runtime.sandbox.redaction({
                "kind": "redaction_produce", "path": str(Path(path).resolve()),
                "out": str(out.resolve()), "boxes": boxes, "dpi": DPI})
            return _ProduceReply.model_validate(raw).model_dump()
        except SandboxFailure as exc:
            raise RedactionFailed(f"the redacted copy could not be drawn: {exc}") from None
        except ValidationError:
            raise RedactionFailed("the parser process sent a malformed reply") from None


def _produce(*, session: Session, runtime: Runtime, document: Document,
             redactions: list[Redaction], user_id: str | None,
             label: str | None) -> RedactedCopy:
    if document.status != DocumentStatus.ready:
        raise Conflict("the document is still being processed")
    if not redactions:
        raise InvalidInput("the document has no redactions")
    runtime.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    copy_id = new_id()
    key = derived_key(document.workspace_id, document.sha256, f"redacted-{copy_id}.pdf")
    with tempfile.TemporaryDirectory(dir=runtime.settings.tmp_dir, prefix="redact-") as work:
        out = Path(work) / "redacted.pdf"
        reply = _draw(runtime=runtime, document=document, redactions=redactions, out=out)
        data = out.read_bytes()
        runtime.blobs.put_file(key, out)
    for old in session.scalars(scoped(RedactedCopy, document.workspace_id).where(
            RedactedCopy.document_id == document.id)).all():
        runtime.blobs.delete(old.blob_key)  # one copy per document: the latest
        session.delete(old)
    copy = RedactedCopy(
        id=copy_id, workspace_id=document.workspace_id, document_id=document.id,
        blob_key=key, sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data),
        page_count=reply["page_count"], redacted_pages=sorted(int(p) for p in reply["covered"]),
        redaction_count=len(redactions), fingerprint=fingerprint(redactions),
        verification=(checked := verify(reply)), verified=checked["passed"],
        created_by_user_id=user_id, created_by_label=label)
    session.add(copy)
    session.flush()
    return copy


def produce_copy(*, session: Session, runtime: Runtime, principal: Principal,
                 document_id: str) -> RedactedCopy:
    """Draw and check the document's redacted copy now; audited (`redaction.produce`)."""
    workspace_id = principal.workspace_id
    document = redactable_document(session=session, workspace_id=workspace_id,
                                   document_id=document_id)
    redactions = list_redactions(session=session, workspace_id=workspace_id,
                                 document_id=document.id)
    copy = _produce(session=session, runtime=runtime, document=document,
                    redactions=redactions, user_id=principal.user_id, label=principal.label)
    audit.record_by(session=session, principal=principal, action="redaction.produce",
                    target_type="document", target_id=document.id,
                    details={"copy_id": copy.id, "sha256": copy.sha256,
                             "verified": copy.verified, "pages": copy.redacted_pages,
                             "redactions": copy.redaction_count})
    return copy


def redacted_pdf(*, session: Session, runtime: Runtime, workspace_id: str,
                 document_id: str) -> RedactedPdf | None:
    """The document's current redacted copy, verified: the latest one if the redactions
    have not changed since, else drawn now. None when the document has no redactions (the
    original goes out as it is). Raises RedactionUnverified if the check fails. Not
    audited here: the caller (a production) records what it sent."""
    document = redactable_document(session=session, workspace_id=workspace_id,
                                   document_id=document_id)
    redactions = list_redactions(session=session, workspace_id=workspace_id,
                                 document_id=document.id)
    if not redactions:
        return None
    copy = latest_copy(session=session, workspace_id=workspace_id, document_id=document.id)
    if copy is None or copy.fingerprint != fingerprint(redactions):
        copy = _produce(session=session, runtime=runtime, document=document,
                        redactions=redactions, user_id=None, label="production")
    if not copy.verified:
        raise RedactionUnverified("the redacted copy failed its check",
                                  details={"problems": copy.verification.get("problems")})
    return RedactedPdf(copy, copy.blob_key)


def open_copy(*, session: Session, runtime: Runtime, principal: Principal,
              document_id: str) -> tuple[RedactedCopy, Iterator[bytes]]:
    """The latest redacted copy's bytes, if it passed its check and the boxes have not
    changed since it was drawn; audited as a download."""
    document = redactable_document(session=session, workspace_id=principal.workspace_id,
                                   document_id=document_id)
    copy = latest_copy(session=session, workspace_id=principal.workspace_id,
                       document_id=document.id)
    if copy is None:
        raise Conflict("no redacted copy has been produced yet",
                       details={"code": "no_redacted_copy"})
    if not copy.verified:
        raise RedactionUnverified("the redacted copy failed its check and is not served",
                                  details={"problems": copy.verification.get("problems")})
    current = list_redactions(session=session, workspace_id=principal.workspace_id,
                              document_id=document.id)
    if copy.fingerprint != fingerprint(current):
        # A box added since would be missing from it: never hand out less than was marked.
        raise RedactionStale("the redactions changed since the copy was drawn: produce it "
                             "again")
    chunks = runtime.blobs.open_chunks(copy.blob_key)
    audit.record_read(sessions=runtime.sessions, principal=principal,
                      action="redaction.download", target_type="document",
                      target_id=document.id, details={"copy_id": copy.id,
                                                      "sha256": copy.sha256})
    return copy, chunks
