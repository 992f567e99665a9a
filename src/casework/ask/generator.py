"""The optional generator: an OpenAI-compatible chat-completions endpoint writes the answer
from the retrieved passages only, streamed; then every citation is checked against them.

The model sees numbered passages and is told to cite them as [n] after each sentence and to
reply NOT FOUND when they do not hold the answer. What it says is not trusted: a citation of
a passage it was not given is dropped, a quotation ("...") that is not in the cited passage
is dropped, a cited passage that shares no content word with the claim is dropped, and a
claim left without a valid citation is flagged `supported: false` for the reader to see.
Each valid citation points at the passage's sentence closest to the claim (or at the
quotation itself), so the page opens on the words that support it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from casework.ask.extractive import Passage, Quote, content_stems
from casework.ask.sentences import split_sentences
from casework.core.settings import Settings

NOT_FOUND_MARK = "NOT FOUND"
SYSTEM_PROMPT = (
    "You answer questions using ONLY the numbered passages the user gives you. "
    "After every sentence of your answer, cite the passage or passages it comes from as "
    "[1], [2] and so on. Prefer quoting the passage's exact words in double quotes. "
    "Do not use any knowledge that is not in the passages. If the passages do not contain "
    f"the answer, reply with exactly: {NOT_FOUND_MARK}"
)
_CITATION = re.compile(r"\[(\d{1,3})\]")
_QUOTED = re.compile(r"[\"\u201c]([^\"\u201c\u201d]{12,400})[\"\u201d]")
_CLAIM_END = re.compile(r"(?<=[.!?])(?:\s*\[\d{1,3}\])*\s+|\n+")


class GeneratorFailed(Exception):
    """The endpoint could not be reached, refused, or broke off; the message says which."""


@dataclass(frozen=True, slots=True)
class Claim:
    text: str
    supported: bool
    citations: list[int]  # indexes into the validated quotes


@dataclass(frozen=True, slots=True)
class CheckedAnswer:
    found: bool
    claims: list[Claim]
    quotes: list[Quote]
    confidence: float


def build_messages(question: str, passages: list[Passage]) -> list[dict[str, str]]:
    numbered = "\n\n".join(
        f"[{i}] ({p.title}, page {p.page})\n{p.text.strip()}"
        for i, p in enumerate(passages, start=1))
    return [{"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Passages:\n\n{numbered}\n\nQuestion: {question}"}]


def _headers(settings: Settings) -> dict[str, str]:
    headers = {"Accept": "text/event-stream"}
    if settings.llm_api_key is not None and settings.llm_api_key.get_secret_value():
        headers["Authorization"] = f"Bearer {settings.llm_api_key.get_secret_value()}"
    return headers


def stream_tokens(settings: Settings, messages: list[dict[str, str]]) -> Iterator[str]:
    """The answer's text as the endpoint streams it (`stream: true`, server-sent events)."""
    body = {"model": settings.llm_model, "messages": messages, "stream": True,
            "temperature": 0, "max_tokens": settings.llm_max_tokens}
    timeout = httpx.Timeout(settings.llm_timeout_seconds, connect=5.0)
    try:
        with httpx.stream("POST", f"{settings.llm_base_url}/chat/completions", json=body,
                          headers=_headers(settings), timeout=timeout) as response:
            if response.status_code != 200:
                response.read()
                raise GeneratorFailed(
                    f"the generator answered HTTP {response.status_code}: "
                    f"{response.text[:200]}")
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[len("data:"):].strip()
                if data == "[DONE]":
                    return
                try:
                    choice = json.loads(data)["choices"][0]
                except (ValueError, KeyError, IndexError, TypeError):
                    raise GeneratorFailed("the generator sent an event that is not a chat "
                                          "completion chunk") from None
                token = (choice.get("delta") or {}).get("content")
                if token:
                    yield token
    except httpx.HTTPError as exc:
        raise GeneratorFailed(f"the generator could not be reached: {exc.__class__.__name__}"
                              ) from None


def list_models(settings: Settings) -> list[str]:
    """The endpoint's `GET /models`, for readiness."""
    response = httpx.get(f"{settings.llm_base_url}/models", headers=_headers(settings),
                         timeout=settings.health_check_timeout_seconds)
    response.raise_for_status()
    return [str(m.get("id")) for m in response.json().get("data", [])]


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def _quote_in(passage: Passage, quoted: str) -> tuple[int, int] | None:
    """Where the quotation stands in the passage (whitespace and case aside)."""
    pattern = r"\s+".join(re.escape(word) for word in quoted.split())
    match = re.search(pattern, passage.text, re.IGNORECASE)
    return (match.start(), match.end()) if match else None


def _closest_sentence(passage: Passage, claim_stems: frozenset[str]) -> tuple[int, int] | None:
    best, best_shared = None, 0
    for sentence in split_sentences(passage.text):
        shared = len(claim_stems & content_stems(passage.text[sentence.start:sentence.end]))
        if shared > best_shared:
            best, best_shared = (sentence.start, sentence.end), shared
    return best


def split_claims(text: str) -> list[str]:
    """The answer's sentences, each with the [n] markers that follow it."""
    claims, start = [], 0
    for match in _CLAIM_END.finditer(text):
        claims.append(text[start:match.end()].strip())
        start = match.end()
    claims.append(text[start:].strip())
    return [c for c in claims if c]


def check_answer(text: str, passages: list[Passage]) -> CheckedAnswer:
    """Validate every citation of the generated `text` against the passages it was given."""
    if NOT_FOUND_MARK in text.upper() and len(text.strip()) <= len(NOT_FOUND_MARK) + 20:
        return CheckedAnswer(found=False, claims=[], quotes=[], confidence=0.0)
    quotes: list[Quote] = []
    where: dict[tuple[int, int, int], int] = {}
    claims: list[Claim] = []
    for claim in split_claims(text):
        numbers = [int(n) for n in _CITATION.findall(claim)]
        quoted = _QUOTED.findall(claim)
        stems = content_stems(_CITATION.sub("", claim))
        valid: list[int] = []
        for number in dict.fromkeys(numbers):
            if not 1 <= number <= len(passages):
                continue  # a passage it was never given
            passage = passages[number - 1]
            span = None
            if quoted:
                span = next((s for s in (_quote_in(passage, q) for q in quoted) if s), None)
                if span is None:
                    continue  # quotes words the passage does not hold
            else:
                span = _closest_sentence(passage, stems)
                if span is None:
                    continue  # shares no content word with the claim
            key = (number - 1, span[0], span[1])
            if key not in where:
                where[key] = len(quotes)
                quotes.append(Quote(
                    passage=number - 1, document_id=passage.document_id,
                    note_id=passage.note_id, title=passage.title, page=passage.page,
                    start=passage.start_char + span[0], end=passage.start_char + span[1],
                    text=passage.text[span[0]:span[1]]))
            valid.append(where[key])
        claims.append(Claim(text=claim, supported=bool(valid), citations=valid))
    supported = sum(1 for c in claims if c.supported)
    confidence = round(supported / len(claims), 4) if claims else 0.0
    return CheckedAnswer(found=bool(claims), claims=claims, quotes=quotes,
                         confidence=confidence)
