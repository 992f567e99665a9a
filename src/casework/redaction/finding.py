"""Finding what to redact: presets (e-mail addresses, phone numbers), a list of terms
(names), or a pattern of the user's, matched on a document's pages in a parser process.
What is found is proposed, not stored: the user accepts hits as redactions.

A user's pattern runs in the parser process, under its CPU and time limits: a pattern
that backtracks for ever ends that request, not the server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from casework.collections import service as collections_service
from casework.core.errors import InvalidInput
from casework.core.scoping import scoped
from casework.documents.models import Document, DocumentStatus
from casework.ingest.sandbox import SandboxFailure
from casework.redaction.service import PDF, redactable_document
from casework.runtime import Runtime
from casework.storage.blobstore import local_copy, original_key

PRESETS = {
    "email": r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
    # Seven to fifteen digits in groups, with an optional +country code and (area code).
    "phone": r"(?<![\w+])(?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,4}\)[ .\-]?)?\d{2,4}(?:[ .\-]?\d{2,4}){1,4}"
             r"(?![\w])",
}
MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 7, 15
MAX_TERMS = 200
MAX_TERM = 200
MAX_PATTERN = 300
MAX_HITS = 2000
MAX_COLLECTION_DOCUMENTS = 50
SEARCH_DPI = 300  # scanned pages are read for word boxes at scanning resolution


@dataclass(slots=True)
class Hit:
    page: int
    label: str
    text: str
    boxes: list[list[float]]


@dataclass(slots=True)
class Found:
    document_id: str
    filename: str
    hits: list[Hit] = field(default_factory=list)
    truncated: bool = False
    ocr_pages: list[int] = field(default_factory=list)
    unreadable_pages: list[int] = field(default_factory=list)
    error: str | None = None


class _HitReply(BaseModel):
    """The parser process's reply: it read hostile bytes, so it is validated like input."""

    model_config = ConfigDict(extra="forbid")
    page: Annotated[int, Field(ge=1)]
    label: Annotated[str, Field(max_length=200)]
    text: Annotated[str, Field(max_length=500)]
    boxes: Annotated[list[Annotated[list[Annotated[float, Field(ge=0, le=1)]],
                                    Field(min_length=4, max_length=4)]],
                     Field(max_length=100)]


class _SearchReply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hits: Annotated[list[_HitReply], Field(max_length=MAX_HITS)]
    truncated: bool
    ocr_pages: list[int]
    unreadable_pages: list[int]


def patterns_for(*, presets: list[str], terms: list[str], pattern: str | None
                 ) -> list[dict[str, str]]:
    """The labelled regular expressions a search runs; refused when empty or too big."""
    found: list[dict[str, str]] = []
    for name in presets:
        if name not in PRESETS:
            raise InvalidInput(f"unknown preset {name!r}", details={"presets": list(PRESETS)})
        found.append({"label": name, "regex": PRESETS[name]})
    cleaned = [t.strip() for t in terms if t.strip()]
    if len(cleaned) > MAX_TERMS or any(len(t) > MAX_TERM for t in cleaned):
        raise InvalidInput(f"at most {MAX_TERMS} terms of at most {MAX_TERM} characters")
    if cleaned:
        # Whole words, any case, any run of spaces or line breaks between a name's parts.
        alternatives = sorted({re.escape(t).replace(r"\ ", r"\s+") for t in cleaned},
                              key=len, reverse=True)
        found.append({"label": "terms", "regex": r"(?<!\w)(?:" + "|".join(alternatives)
                      + r")(?!\w)"})
    if pattern:
        if len(pattern) > MAX_PATTERN:
            raise InvalidInput(f"a pattern is at most {MAX_PATTERN} characters")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise InvalidInput(f"not a valid regular expression: {exc}") from None
        found.append({"label": "pattern", "regex": pattern})
    if not found:
        raise InvalidInput("name a preset, some terms or a pattern to search for")
    return found


def _keep(hit: _HitReply) -> bool:
    """Phone hits need seven to fifteen digits: fewer is a page number or a year."""
    if hit.label != "phone":
        return True
    digits = sum(ch.isdigit() for ch in hit.text)
    return MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS


def search_document(*, runtime: Runtime, document: Document,
                    patterns: list[dict[str, str]]) -> Found:
    """Every hit of `patterns` on the document's pages, each with its boxes."""
    found = Found(document.id, document.filename)
    if document.media_type != PDF or document.status != DocumentStatus.ready:
        found.error = "not a processed PDF"
        return found
    key = original_key(document.workspace_id, document.sha256)
    with local_copy(runtime.blobs, key, runtime.settings.tmp_dir) as path:
        try:
            raw = runtime.sandbox.redaction({"kind": "redaction_search",
                                             "path": str(Path(path).resolve()),
                                             "patterns": patterns, "max_hits": MAX_HITS,
                                             "dpi": SEARCH_DPI})
            reply = _SearchReply.model_validate(raw)
        except SandboxFailure as exc:
            found.error = str(exc)
            return found
        except ValidationError:
            found.error = "the parser process sent a malformed reply"
            return found
    found.hits = [Hit(h.page, h.label, h.text, h.boxes) for h in reply.hits if _keep(h)]
    found.truncated = reply.truncated
    found.ocr_pages, found.unreadable_pages = reply.ocr_pages, reply.unreadable_pages
    return found


def find_in_document(*, session: Session, runtime: Runtime, workspace_id: str,
                     document_id: str, patterns: list[dict[str, str]]) -> Found:
    document = redactable_document(session=session, workspace_id=workspace_id,
                                   document_id=document_id)
    return search_document(runtime=runtime, document=document, patterns=patterns)


def find_in_collection(*, session: Session, runtime: Runtime, workspace_id: str,
                       collection_id: str, patterns: list[dict[str, str]]) -> list[Found]:
    """Hits in each PDF of a collection (the first MAX_COLLECTION_DOCUMENTS by name)."""
    collections_service.get_collection(session=session, workspace_id=workspace_id,
                                       collection_id=collection_id)
    from_collection = session.scalars(scoped(Document, workspace_id).where(
        Document.collection_id == collection_id, Document.media_type == PDF,
        Document.status == DocumentStatus.ready).order_by(Document.filename, Document.id)
        .limit(MAX_COLLECTION_DOCUMENTS)).all()
    return [search_document(runtime=runtime, document=d, patterns=patterns)
            for d in from_collection]

