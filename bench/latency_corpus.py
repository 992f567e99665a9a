"""The search benchmarks' corpus and queries: chunk text, a corpus grown to a size, queries.

bench/search_latency.py, bench/scaleout_search_latency.py, bench/scaleout_api_rps.py and
bench/keyword_engines.py all measure on this corpus (sentences from the Python manuals or
generated prose, documents of CHUNKS_PER_DOCUMENT chunks, a random unit vector per text)
and these queries, so their figures compare. It is kept apart from the SQLite latency
timing so that the other scripts share the data without importing that benchmark.
"""

from __future__ import annotations

import hashlib
import random
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select

import corpus
from casework.core.database import transaction
from casework.documents.models import Document, DocumentStatus, EmbeddingStatus
from casework.search import indexing
from casework.search.chunking import Passage
from casework.search.models import Chunk, Embedding
from casework.search.query import STOP_WORDS
from harness import BenchRuntime

DOCS_ROOT = Path("/usr/share/doc/python3.11/html")
CHUNKS_PER_DOCUMENT = 100
DOCUMENTS_PER_TRANSACTION = 50
DIMENSIONS = 384
_WORD = re.compile(r"[A-Za-z][A-Za-z_]{2,}")


def load_pages() -> tuple[list[list[str]], str]:
    """Sentences grouped by page: the Python manuals, or generated case files."""
    if DOCS_ROOT.is_dir():
        return corpus.python_docs_pages(DOCS_ROOT), "Python 3.11 manuals (python3.11-doc)"
    writer = corpus.ProseWriter(21)
    return ([[writer.sentence() for _ in range(60)] for _ in range(1000)],
            "generated case-file prose")


def make_queries(sentences: list[str], count: int, seed: int = 99) -> list[str]:
    """Queries as users type them: 2-5 content words from one sentence, in order."""
    rng = random.Random(seed)
    queries: list[str] = []
    while len(queries) < count:
        words = [w.lower() for w in _WORD.findall(rng.choice(sentences))
                 if w.lower() not in STOP_WORDS]
        if len(words) < 2:
            continue
        size = rng.randint(2, min(5, len(words)))
        start = rng.randint(0, len(words) - size)
        queries.append(" ".join(words[start:start + size]))
    return queries


def natural_questions() -> list[str]:
    """The quality benchmark's questions, when present: longer, natural-language queries."""
    import json

    path = Path(__file__).parent / "questions" / "python_docs.jsonl"
    if not path.exists():
        return []
    with open(path) as fh:
        return [json.loads(line)["question"] for line in fh if line.strip()]


def grow_corpus(bench: BenchRuntime, *, target: int, passages: Any,
                vectors: corpus.StandInVectors, known: dict[str, np.ndarray], model: str
                ) -> dict[str, float]:
    """Add documents of CHUNKS_PER_DOCUMENT chunks until the workspace holds `target`.

    `known` maps each text hash already given a vector to it (kept across calls).
    """
    runtime = bench.runtime
    with transaction(runtime.read_sessions) as session:
        have = session.scalar(select(func.count()).select_from(Chunk)) or 0
    seconds = {"chunks_and_keyword_index": 0.0, "embedding_rows": 0.0, "vector_index_add": 0.0}
    serial = have // CHUNKS_PER_DOCUMENT
    while have < target:
        started = time.perf_counter()
        with transaction(runtime.sessions) as session:
            document_ids = []
            for _ in range(DOCUMENTS_PER_TRANSACTION):
                if have + len(document_ids) * CHUNKS_PER_DOCUMENT >= target:
                    break
                serial += 1
                document = Document(
                    workspace_id=bench.workspace_id, collection_id=bench.collection_id,
                    filename=f"doc-{serial:05d}.pdf", media_type="application/pdf",
                    size_bytes=1, sha256=hashlib.sha256(str(serial).encode()).hexdigest(),
                    status=DocumentStatus.ready, embedding_status=EmbeddingStatus.ready,
                    page_count=CHUNKS_PER_DOCUMENT // 4, title=f"Document {serial}")
                session.add(document)
                session.flush()
                document_ids.append(document.id)
                indexing.write_chunks(
                    session=session, workspace_id=bench.workspace_id, document_id=document.id,
                    passages=(Passage(1 + i // 4, i % 4, 0, len(text), text)
                              for i, text in zip(range(CHUNKS_PER_DOCUMENT), passages,
                                                 strict=False)))
            rows = session.execute(select(Chunk.id, Chunk.content_hash).where(
                Chunk.document_id.in_(document_ids))).all()
        seconds["chunks_and_keyword_index"] += time.perf_counter() - started

        started = time.perf_counter()
        # One vector per distinct text, as ingest stores them; repeated texts share it.
        fresh = list(dict.fromkeys(h for _, h in rows if h not in known))
        for content_hash, vector in zip(fresh, vectors.sample(len(fresh)), strict=True):
            known[content_hash] = vector
        if fresh:
            with transaction(runtime.sessions) as session:
                session.execute(insert(Embedding), [
                    {"workspace_id": bench.workspace_id, "model": model, "content_hash": h,
                     "dimensions": DIMENSIONS, "vector": known[h].tobytes()} for h in fresh])
        sample = np.vstack([known[h] for _, h in rows])
        seconds["embedding_rows"] += time.perf_counter() - started

        started = time.perf_counter()
        keys = np.fromiter((r[0] for r in rows), dtype=np.uint64, count=len(rows))
        runtime.vector_index.add(bench.workspace_id, keys, sample)
        seconds["vector_index_add"] += time.perf_counter() - started
        have += len(rows)
        print(f"  … {have} chunks", flush=True, end="\r")
    print()
    return {k: round(v, 2) for k, v in seconds.items()}
