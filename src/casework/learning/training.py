"""The tag classifier: features, the held-out split, training, evaluation.

Features are a document's TF-IDF (its words) beside the mean of its chunks' stored vectors
(its meaning, when semantic search made them): one sparse matrix. The classifier is one
logistic regression per tag (one-vs-rest), because a document can carry several tags.
Nothing here touches the database; `learning/daily_run.py` feeds it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer

from casework.learning.examples import Examples

MAX_TFIDF_FEATURES = 20_000
HELD_OUT_PERCENT = 20
PREDICT_THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class Evaluation:
    examples: int
    held_out: int
    tags: list[str]
    accuracy: float | None  # subset accuracy: the whole tag set predicted exactly
    macro_f1: float | None  # F1 per tag, averaged with each tag weighing the same


class Skip(Exception):
    """Not enough to learn from; the message says why (stored on the run)."""


def is_held_out(document_id: str) -> bool:
    """About one document in five is kept for evaluation, the same ones on every run and
    every machine (a hash of the id, not a random draw)."""
    digest = hashlib.sha256(document_id.encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < HELD_OUT_PERCENT


class TagModel:
    """What is pickled into an artefact: the vectoriser, the classifier, the tag names."""

    def __init__(self, *, tags: list[str], dims: int, embedder: str | None) -> None:
        self.tags = tags
        self.dims = dims
        self.embedder = embedder
        self.vectorizer = TfidfVectorizer(max_features=MAX_TFIDF_FEATURES, sublinear_tf=True,
                                          min_df=1, dtype=np.float32)
        self.classifier = OneVsRestClassifier(
            LogisticRegression(max_iter=1000, C=4.0, solver="liblinear"))

    def _features(self, texts: list[str], vectors: np.ndarray, *, fit: bool) -> sp.csr_matrix:
        words = (self.vectorizer.fit_transform(texts) if fit
                 else self.vectorizer.transform(texts))
        if not self.dims:
            return sp.csr_matrix(words)
        return sp.hstack([words, sp.csr_matrix(_unit_rows(vectors))], format="csr")

    def fit(self, texts: list[str], vectors: np.ndarray, targets: np.ndarray) -> TagModel:
        self.classifier.fit(self._features(texts, vectors, fit=True), targets)
        return self

    def predict_proba(self, texts: list[str], vectors: np.ndarray) -> np.ndarray:
        """(documents, tags) confidences in [0, 1]."""
        if not texts:
            return np.zeros((0, len(self.tags)), dtype=np.float32)
        return np.asarray(self.classifier.predict_proba(
            self._features(texts, vectors, fit=False)), dtype=np.float32)


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def learnable_tags(labels: list[list[str]], *, min_examples: int) -> list[str]:
    counts = Counter(tag for tags in labels for tag in set(tags))
    return sorted(tag for tag, count in counts.items() if count >= min_examples)


def train_and_evaluate(examples: Examples, *, min_documents: int, min_tag_examples: int,
                       embedder: str | None) -> tuple[TagModel, Evaluation]:
    """Fit on the training split, score on the held-out one, then refit on everything
    (the model that is stored and applied has seen every example). Raises Skip."""
    total = len(examples.document_ids)
    if total < min_documents:
        raise Skip(f"{total} tagged documents in the horizon; at least {min_documents} "
                   "are needed")
    tags = learnable_tags(examples.labels, min_examples=min_tag_examples)
    if len(tags) < 2:
        raise Skip(f"{len(tags)} tag(s) with at least {min_tag_examples} documents; at "
                   "least 2 are needed")
    binarizer = MultiLabelBinarizer(classes=tags)
    wanted = set(tags)
    targets = binarizer.fit_transform([[t for t in ts if t in wanted] for ts in examples.labels])
    dims = int(examples.vectors.shape[1]) if examples.vectors.ndim == 2 else 0
    held = np.array([is_held_out(d) for d in examples.document_ids], dtype=bool)
    accuracy = macro_f1 = None
    if held.any() and (~held).sum() >= 2:
        trial = TagModel(tags=tags, dims=dims, embedder=embedder).fit(
            _pick(examples.texts, ~held), examples.vectors[~held], targets[~held])
        scores = trial.predict_proba(_pick(examples.texts, held), examples.vectors[held])
        predicted = (scores >= PREDICT_THRESHOLD).astype(int)
        accuracy = float(accuracy_score(targets[held], predicted))
        macro_f1 = float(f1_score(targets[held], predicted, average="macro",
                                  zero_division=0))
    model = TagModel(tags=tags, dims=dims, embedder=embedder).fit(
        examples.texts, examples.vectors, targets)
    return model, Evaluation(examples=total, held_out=int(held.sum()), tags=tags,
                             accuracy=accuracy, macro_f1=macro_f1)


def _pick(items: list[str], mask: np.ndarray) -> list[str]:
    return [item for item, keep in zip(items, mask, strict=True) if keep]
