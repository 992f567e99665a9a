"""Normalised keys: what spelling variants of one name share, so they merge on their own.

"Mr. John O'Brien's", "JOHN O\u2019BRIEN" (a curly apostrophe) and "John  O'Brien" all
key to "john obrien"; "Zoë" and "Zoe" to "zoe". Patterns key to their normal form
(entities/patterns.py).
"""

from __future__ import annotations

import re
import unicodedata

TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir",
                    "dame", "lord", "lady", "rev", "revd", "hon", "judge", "justice", "det",
                    "insp", "sgt", "cllr"})
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_POSSESSIVE = re.compile(r"'s$|(?<=s)'$", re.IGNORECASE)
_NOT_WORD = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")
MAX_KEY = 300


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def clean_name(text: str) -> str:
    """The name as shown: spaces collapsed, curly quotes straightened, the possessive and
    a leading title or "the" dropped ("Mr. John O'Brien's" -> "John O'Brien")."""
    name = _SPACES.sub(" ", text.translate(_APOSTROPHES)).strip()
    name = _POSSESSIVE.sub("", name).strip()
    words = name.split(" ")
    while len(words) > 1 and words[0].lower().rstrip(".") in TITLES | {"the"}:
        words = words[1:]
    return " ".join(words)[:MAX_KEY]


def name_key(text: str) -> str:
    """Case, diacritics, punctuation, spaces, titles and the possessive do not count."""
    folded = _fold(clean_name(text)).casefold()
    folded = folded.replace("'", "")
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", folded)).strip()[:MAX_KEY]
