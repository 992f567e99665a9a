"""Parse a user's query into terms, prefixes and phrases, and render it per engine.

Users type natural language, `"exact phrases"`, `prefix*` and proximity, `"word other"~5`
(the two words, in either order, with at most 5 words between them). Words are OR-ed (BM25
ranks documents with more of them higher) and stop words dropped, which both improves
ranking and keeps FTS5 from scoring every row that contains "the"; phrases and proximities
must match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from casework.core.errors import InvalidInput

_TOKEN = re.compile(r'"([^"]*)"(?:~(\d+))?|(\S+)')
# PostgreSQL has no "within N" operator: a proximity becomes 2 * (N + 1) exact distances.
MAX_NEAR_DISTANCE = 20
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?", re.UNICODE)

STOP_WORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
had has have having he her here hers herself him himself his how i if in into is it its
itself just me more most my myself no nor not now of off on once only or other our ours out
over own same she should so some such than that the their theirs them then there these they
this those through to too under until up very was we were what when where which while who
whom why will with would you your yours
""".split())


@dataclass(frozen=True, slots=True)
class Near:
    """Two words, in either order, with at most `distance` other words between them."""

    first: str
    second: str
    distance: int

    @property
    def words(self) -> list[str]:
        return [self.first, self.second]


@dataclass(slots=True)
class ParsedQuery:
    terms: list[str] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    near: list[Near] = field(default_factory=list)
    # Typed words that carry content ("CR-2024-0117" is one, though it gives three terms).
    content_words: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.terms or self.prefixes or self.phrases or self.near)

    @property
    def required_words(self) -> list[str]:
        """The words of the phrases and proximities, which every match holds."""
        return [w for p in self.phrases for w in p] + [w for n in self.near for w in n.words]

    @property
    def highlight_words(self) -> list[str]:
        words = self.terms + self.prefixes + self.required_words
        return sorted(set(words), key=len, reverse=True)


def normalize_query(text: str) -> str:
    """Canonical form of a query (for caching and logs)."""
    return " ".join(text.lower().split())


def parse_query(text: str) -> ParsedQuery:
    parsed = ParsedQuery()
    all_words: list[str] = []
    for phrase, distance, bare in _TOKEN.findall(text):
        if phrase and distance:
            parsed.near.append(_near(phrase, distance))
            continue
        if phrase:
            words = [w.lower() for w in _WORD.findall(phrase)]
            if len(words) == 1:
                parsed.terms.append(words[0])
            elif words:
                parsed.phrases.append(words)
            continue
        is_prefix = bare.endswith("*")
        words = [w.lower() for w in _WORD.findall(bare)]
        if not words:
            continue
        if is_prefix and len(words) == 1 and len(words[0]) >= 2:
            parsed.prefixes.append(words[0])
            continue
        all_words.extend(words)
        parsed.content_words += any(w not in STOP_WORDS for w in words)
    kept = [w for w in all_words if w not in STOP_WORDS]
    # A query made only of stop words ("to be or not to be") still searches for them.
    parsed.terms.extend(kept or all_words)
    parsed.terms = list(dict.fromkeys(parsed.terms))
    return parsed


def _near(phrase: str, distance: str) -> Near:
    words = [w.lower() for w in _WORD.findall(phrase)]
    if len(words) != 2:
        raise InvalidInput(f'proximity takes two words, as in "invoice crane"~5 (got '
                           f'{len(words)} in "{phrase[:80]}")', details={"field": "q"})
    if int(distance) > MAX_NEAR_DISTANCE:
        raise InvalidInput(f"proximity is at most ~{MAX_NEAR_DISTANCE} words",
                           details={"field": "q", "limit": MAX_NEAR_DISTANCE})
    return Near(words[0], words[1], int(distance))


def collection_words(text: str) -> list[str]:
    """The words a search names a collection by: as typed (a case number stays whole, not
    split at its dashes as for the keyword engines), quotes and a prefix's `*` dropped,
    stop words dropped unless nothing else is left ("the harbour" names "Harbour inquiry")."""
    words = [w for w in (token.strip('"').rstrip("*").strip('"') for token in text.split())
             if w]
    kept = [w for w in words if w.lower() not in STOP_WORDS]
    return list(dict.fromkeys(kept or words))


def _fts_quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def fts5_phrase(words: list[str]) -> str:
    """One FTS5 phrase, quoted so that no input is a syntax error."""
    return _fts_quote(" ".join(words))


def fts5_prefix(prefix: str) -> str:
    return _fts_quote(prefix) + "*"


def fts5_near(near: Near) -> str:
    """FTS5's own NEAR: at most `distance` tokens between the two, in either order."""
    return f"NEAR({_fts_quote(near.first)} {_fts_quote(near.second)}, {near.distance})"


def fts5_required(query: ParsedQuery) -> list[str]:
    """The phrases and proximities, each a clause every match must satisfy."""
    return [fts5_phrase(p) for p in query.phrases] + [fts5_near(n) for n in query.near]


def to_fts5(query: ParsedQuery) -> str:
    """The exact FTS5 MATCH expression: required phrases AND any of the words."""
    optional = [fts5_phrase([t]) for t in query.terms] + [fts5_prefix(p) for p in query.prefixes]
    required = fts5_required(query)
    parts = list(required)
    if optional:
        parts.append("(" + " OR ".join(optional) + ")")
    return " AND ".join(parts)


def _ts_word(word: str) -> str:
    return "'" + word.replace("'", "''").replace("\\", "") + "'"


def to_tsquery(query: ParsedQuery) -> str:
    """A PostgreSQL to_tsquery expression with every lexeme quoted."""
    optional = [_ts_word(t) for t in query.terms] + [_ts_word(p) + ":*" for p in query.prefixes]
    required = ["(" + " <-> ".join(_ts_word(w) for w in p) + ")" for p in query.phrases]
    required += [_ts_near(n) for n in query.near]
    parts = list(required)
    if optional:
        parts.append("(" + " | ".join(optional) + ")")
    return " & ".join(parts)


def _ts_near(near: Near) -> str:
    """`<k>` is an exact distance in tsquery: "within N" is each distance 1..N+1, both ways."""
    a, b = _ts_word(near.first), _ts_word(near.second)
    return "(" + " | ".join(f"{x} <{k}> {y}" for k in range(1, near.distance + 2)
                            for x, y in ((a, b), (b, a))) + ")"
