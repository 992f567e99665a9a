"""Which embedder serves: the runtime named by EMBEDDING_RUNTIME, built from the settings.

Both runtimes run the same model with the same tokenizer, window, pooling and thread
settings, so their vectors are interchangeable (mean cosine 0.9995,
docs/benchmarks.md#embedding-runtimes) and share one model name in the index: switching
runtime does not re-embed the collection.
"""

from __future__ import annotations

from casework.core.settings import Settings
from casework.search.embedder import Embedder, SentenceTransformerEmbedder
from casework.search.embedder_onnx import OnnxEmbedder

EMBEDDERS: dict[str, type[OnnxEmbedder] | type[SentenceTransformerEmbedder]] = {
    "onnx": OnnxEmbedder,
    "torch": SentenceTransformerEmbedder,
}


def build_embedder(settings: Settings) -> Embedder:
    """The configured embedder; cheap, since every runtime loads its model on first use."""
    embedder_class = EMBEDDERS[settings.embedding_runtime]
    return embedder_class(settings.embedding_model, batch_size=settings.embedding_batch_size,
                          max_seq_length=settings.embedding_max_seq_length,
                          threads=settings.embedding_threads)
