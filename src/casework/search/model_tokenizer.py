"""The embedding model's own tokenizer, without torch.

Chunking must count what the model counts (word pieces plus its special tokens), and the
torch-free ONNX embedder needs the same tokenizer to build its inputs. Both read the model's
`tokenizer.json` (shipped with casework for the packaged model, else beside a model folder's
weights) through the `tokenizers` library, which imports in milliseconds where
sentence-transformers costs seconds.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from tokenizers import Tokenizer

from casework.search.embedder import EmbeddingUnavailable, resolve_model_path

# all-MiniLM-L6-v2 was trained on 256 word pieces (its tokenizer claims 512): passages and
# queries longer than this are cut by the model, so nothing past it would be embedded.
MODEL_WINDOW_TOKENS = 256

# The packaged models' tokenizers ship with casework (search/model_files/<name>/): the
# package of the torch weights depends on torch, which a default install goes without.
SHIPPED_TOKENIZERS = Path(__file__).resolve().parent / "model_files"

_lock = threading.Lock()


@lru_cache(maxsize=4)
def _load(path: Path) -> Tokenizer:
    tokenizer = Tokenizer.from_file(str(path))
    # Counting must see every token: no truncation, no padding.
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def load_tokenizer(model: str) -> Tokenizer:
    """The tokenizer of a packaged model name or a model folder (read once per process)."""
    shipped = SHIPPED_TOKENIZERS / model / "tokenizer.json"
    path = shipped if shipped.is_file() else resolve_model_path(model) / "tokenizer.json"
    if not path.is_file():
        raise EmbeddingUnavailable(f"the embedding model {model!r} has no tokenizer.json")
    with _lock:  # lru_cache may build twice under a race; the lock keeps it to one load
        return _load(path)
