"""One page's entities: the model's names and the patterns, cleaned, keyed, and without
overlaps. Offsets are into the page's stored text, exactly as chunks and citations use them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from casework.core.settings import Settings
from casework.entities.keys import TITLES, clean_name, name_key
from casework.entities.patterns import Found, PatternRules, find_patterns
from casework.entities.recognizer import NamedSpan, NameRecognizer

# The model reads a long page in windows cut at a line or word end: its memory grows with
# the text, and a window of this size keeps the batch small.
WINDOW_CHARS = 10_000
MAX_NAME_CHARS = 100
_LEADING = re.compile(r"^(?:the|The|THE)\s+")
# "Ms Kowalski": the title is not part of the name (OntoNotes' convention, and the key's).
_TITLE = re.compile(r"^(?:" + "|".join(sorted(TITLES, key=len, reverse=True)) + r")\.?\s+",
                    re.IGNORECASE)
# "Hebden Bridge and": the model sometimes takes the conjunction after a name.
_CONJUNCTION = re.compile(r"\s+(?:and|or|&)$")
_TRAILING = re.compile("(?:['\u2019]s|['\u2019])$")
_EDGE = " \t\r\n.,;:!?\"'()[]{}<>*-\u2013\u2014/\\|"


# A name ending in one of these is an organisation, whatever the model said: the small model
# reads "Harbour Law LLP" as a person about as often as not.
ORGANISATION_ENDINGS = frozenset({
    "llp", "ltd", "limited", "plc", "inc", "llc", "corp", "corporation", "gmbh", "ag", "sa",
    "bv", "nv", "srl", "spa", "co", "company", "bank", "council", "police", "trust",
    "university", "hospital", "ministry", "department", "agency", "authority", "court",
    "tribunal", "group", "partners", "associates", "chambers", "solicitors"})
# Words of forms and letterheads the model calls names.
NOT_NAMES = frozenset({"iban", "bic", "swift", "vat", "email", "e-mail", "tel", "fax",
                       "phone", "mobile", "ref", "re", "cc", "bcc", "subject", "dear",
                       "regards", "pdf", "url", "n/a", "ps", "gbp", "eur", "usd",
                       # The parties of legal documents, capitalised as defined terms.
                       "claimant", "defendant", "applicant", "respondent", "appellant",
                       "plaintiff", "landlord", "tenant", "buyer", "seller", "supplier",
                       "customer", "company", "council", "court", "customs"})


@dataclass(frozen=True, slots=True)
class PageText:
    number: int
    text: str


def pattern_rules(settings: Settings) -> PatternRules:
    return PatternRules(phone_region=settings.entity_phone_region,
                        day_first=settings.entity_date_order == "DMY",
                        references=tuple(re.compile(p)
                                         for p in settings.entity_reference_patterns))


def windows(text: str, size: int = WINDOW_CHARS) -> list[tuple[int, str]]:
    """(offset, piece) covering `text`, each cut after a newline or space when one is near."""
    pieces: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            half = start + size // 2
            cut = max(text.rfind("\n", half, end), text.rfind(" ", half, end))
            end = cut + 1 if cut > start else end
        pieces.append((start, text[start:end]))
        start = end
    return pieces


def _clean_span(text: str, span: NamedSpan, offset: int) -> Found | None:
    """Trim "the", a possessive and punctuation off the model's span; drop what is no name."""
    start, end = span.start + offset, span.end + offset
    surface = text[start:end]
    lead = len(surface) - len(surface.lstrip(_EDGE))
    start, surface = start + lead, surface[lead:]
    leading = (_TITLE if span.kind == "person" else _LEADING).match(surface)
    if leading and leading.end() < len(surface):
        start, surface = start + leading.end(), surface[leading.end():]
    conjunction = _CONJUNCTION.search(surface)
    if conjunction:
        surface = surface[:conjunction.start()]
    trailing = _TRAILING.search(surface)
    if trailing:
        end, surface = start + trailing.start(), surface[:trailing.start()]
    surface = surface.rstrip(_EDGE)
    end = start + len(surface)
    if not surface or "\n" in surface or len(surface) > MAX_NAME_CHARS:
        return None
    if not surface[0].isupper() or sum(c.isalpha() for c in surface) < 2:
        return None
    key = name_key(surface)
    if not key or key.replace(" ", "").isdigit() or key in NOT_NAMES:
        return None
    kind = span.kind
    if key.rsplit(" ", 1)[-1] in ORGANISATION_ENDINGS and " " in key:
        kind = "organisation"
    return Found(kind, start, end, key, clean_name(surface))


def _without_overlaps(patterns: list[Found], names: list[Found]) -> list[Found]:
    """Patterns first (they are exact), the longest of overlapping ones; then the names
    that overlap none of them (the model reads "GB82 WEST..." as an organisation)."""
    kept: list[Found] = []
    taken: list[tuple[int, int]] = []

    def free(found: Found) -> bool:
        return all(found.end <= start or found.start >= end for start, end in taken)

    for group in (patterns, names):
        for found in sorted(group, key=lambda f: (-(f.end - f.start), f.start)):
            if free(found):
                kept.append(found)
                taken.append((found.start, found.end))
    return sorted(kept, key=lambda f: (f.start, f.end))


def extract_pages(pages: Sequence[PageText], *, recognizer: NameRecognizer | None,
                  rules: PatternRules, anchor: date | None, max_chars: int
                  ) -> list[tuple[int, list[Found]]]:
    """Each page's entities, read up to `max_chars` of it; one model call for the batch."""
    texts = [page.text[:max_chars] for page in pages]
    pieces = [(index, offset, piece) for index, text in enumerate(texts)
              for offset, piece in windows(text)]
    named: list[list[Found]] = [[] for _ in pages]
    if recognizer is not None and pieces:
        spans = recognizer.find([piece for _, _, piece in pieces])
        for (index, offset, _), found in zip(pieces, spans, strict=True):
            for span in found:
                cleaned = _clean_span(texts[index], span, offset)
                if cleaned is not None:
                    named[index].append(cleaned)
    return [(page.number, _without_overlaps(find_patterns(text, rules=rules, anchor=anchor),
                                            named[index]))
            for index, (page, text) in enumerate(zip(pages, texts, strict=True))]
