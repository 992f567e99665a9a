"""What a run learns from, as read from the database (kept apart from training.py so that
reading it does not import scikit-learn, ~2 s at start-up)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(slots=True)
class Examples:
    """Documents with their text, mean vector (zeros where none) and tags."""

    document_ids: list[str]
    texts: list[str]
    vectors: np.ndarray  # (n, dims) float32; dims 0 when no vectors exist
    labels: list[list[str]]
