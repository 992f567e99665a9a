"""MinHash signatures of a text's word shingles, and the LSH bands that find candidates.

Pure numpy, no state: the same text gives the same signature in every process (the
permutations come from a fixed seed), so signatures stored by one worker compare with
those of another. Two signatures agree at a position with probability equal to the
Jaccard similarity of the two shingle sets; the fraction that agrees estimates it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator

import numpy as np

PERMUTATIONS = 128
BANDS, ROWS = 32, 4  # BANDS * ROWS == PERMUTATIONS; candidates from about J >= 0.42
SHINGLE_WORDS = 2
MIN_SHINGLES = 8  # shorter texts get no signature: too little to call near-identical
MAX_WORDS = 2_000_000
_BLOCK = 20_000  # shingles hashed at a time (memory: _BLOCK x PERMUTATIONS x 8 bytes)
_WORD = re.compile(r"\w+", re.UNICODE)
# What OCR confuses, folded before words are cut: a re-scan's "c1ient" meets "client".
_OCR_FOLD = str.maketrans({"0": "o", "1": "l", "|": "l", "5": "s", "8": "b"})
_OCR_PAIRS = (("rn", "m"), ("vv", "w"))
_REPEATS = re.compile(r"(\w)\1+")  # "committee" and a re-scan's "commmittee" meet

_rng = np.random.default_rng(20261206)
_A = _rng.integers(1, 2**63 - 1, size=PERMUTATIONS, dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 2**63 - 1, size=PERMUTATIONS, dtype=np.uint64)


def words(text: str) -> Iterator[str]:
    """Normalised words: NFKC, case folded, OCR look-alikes folded, punctuation dropped."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_OCR_FOLD)
    for pair, one in _OCR_PAIRS:
        folded = folded.replace(pair, one)
    folded = _REPEATS.sub(r"\1", folded)
    for count, match in enumerate(_WORD.finditer(folded)):
        if count >= MAX_WORDS:
            return
        yield match.group()


def shingle_hashes(texts: Iterable[str]) -> tuple[np.ndarray, int]:
    """The distinct 64-bit hashes of the word shingles (SHINGLE_WORDS words in a row), and
    how many words there were (the text's length, which chooses a group's pivot)."""
    seen: set[int] = set()
    window: list[str] = []
    count = 0
    for text in texts:
        for word in words(text):
            count += 1
            window.append(word)
            if len(window) > SHINGLE_WORDS:
                window.pop(0)
            if len(window) == SHINGLE_WORDS:
                digest = hashlib.blake2b(" ".join(window).encode(), digest_size=8).digest()
                seen.add(int.from_bytes(digest, "little"))
    return np.fromiter(seen, dtype=np.uint64, count=len(seen)), count


def signature(hashes: np.ndarray) -> np.ndarray | None:
    """The MinHash signature (PERMUTATIONS uint32) of the shingle hashes; None if too few.
    Each permutation is multiply-add modulo 2**64, its top 32 bits kept."""
    if len(hashes) < MIN_SHINGLES:
        return None
    best = np.full(PERMUTATIONS, np.iinfo(np.uint32).max, dtype=np.uint32)
    with np.errstate(over="ignore"):
        for start in range(0, len(hashes), _BLOCK):
            block = hashes[start:start + _BLOCK][:, None]
            mixed = ((block * _A + _B) >> np.uint64(32)).astype(np.uint32)
            best = np.minimum(best, mixed.min(axis=0))
    return best


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets."""
    return float(np.count_nonzero(a == b)) / PERMUTATIONS


def band_keys(sig: np.ndarray) -> list[str]:
    """One key per band: two signatures sharing any key are candidates."""
    keys = []
    for band in range(BANDS):
        rows = sig[band * ROWS:(band + 1) * ROWS].tobytes()
        keys.append(f"{band:02d}:{hashlib.blake2b(rows, digest_size=8).hexdigest()}")
    return keys


def to_bytes(sig: np.ndarray) -> bytes:
    return sig.astype("<u4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)
