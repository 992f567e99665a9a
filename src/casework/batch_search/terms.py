"""Reading a batch search's CSV of terms: `term[,label]` per row, an optional header row,
UTF-8 (a spreadsheet's byte-order mark allowed). Small and bounded (MAX_BYTES, MAX_TERMS),
parsed by the standard csv module in the request: it is a list of words, not a document,
and never reaches a parser of untrusted formats."""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass

from casework.core.errors import CaseworkError, InvalidInput, PayloadTooLarge
from casework.search.query import parse_query

MAX_BYTES = 256 * 1024
MAX_TERMS = 500
MAX_TERM_CHARS = 500
MAX_LABEL_CHARS = 200


@dataclass(frozen=True, slots=True)
class Term:
    term: str
    label: str

    def as_json(self) -> dict[str, str]:
        return {"term": self.term, "label": self.label}


def _clean(value: str, *, row: int, field: str, limit: int) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if len(value) > limit:
        raise InvalidInput(f"row {row}: the {field} is longer than {limit} characters",
                           details={"row": row, "field": field, "limit": limit})
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        raise InvalidInput(f"row {row}: the {field} holds control characters",
                           details={"row": row, "field": field})
    return value


def read_terms(data: bytes) -> list[Term]:
    """The terms of the file, each checked as a query now (a bad proximity is refused here,
    naming its row, not found failing in the job)."""
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(f"the CSV is larger than {MAX_BYTES // 1024} KiB",
                              details={"limit": MAX_BYTES})
    try:
        decoded = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the CSV is not UTF-8 text") from None
    try:
        rows = list(csv.reader(io.StringIO(decoded)))
    except csv.Error as exc:
        raise InvalidInput(f"the CSV cannot be read: {exc}") from None
    if rows and rows[0] and rows[0][0].strip().lower() == "term":
        rows = rows[1:]  # the header
    terms: list[Term] = []
    for number, row in enumerate(rows, start=1):
        if not row or not row[0].strip():
            continue
        if len(terms) == MAX_TERMS:
            raise InvalidInput(f"the CSV has more than {MAX_TERMS} terms",
                               details={"limit": MAX_TERMS})
        term = _clean(row[0], row=number, field="term", limit=MAX_TERM_CHARS)
        label = _clean(row[1], row=number, field="label", limit=MAX_LABEL_CHARS) \
            if len(row) > 1 else ""
        try:
            if parse_query(term).is_empty:
                raise InvalidInput(f"row {number}: {term!r} holds no word to search for")
        except CaseworkError as exc:
            raise InvalidInput(f"row {number}: {exc.message}",
                               details={"row": number}) from None
        terms.append(Term(term, label or term))
    if not terms:
        raise InvalidInput("the CSV holds no terms: one per row, as `term[,label]`")
    return terms
