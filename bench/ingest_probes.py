"""The stand-in embedder and the writer probe that bench/ingest.py plugs into its runs.

StandInEmbedder loads and runs the real model once, then returns random vectors: for memory
runs whose embedding would take hours here (--stand-in-embedder, the large-file run).
WriterProbe makes a tiny write transaction every half second during a phase and records
how long other SQLite writers wait. They live apart from bench/ingest.py so that file
holds the scenarios and their figures, and these instruments can be read on their own.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import corpus


class StandInEmbedder:
    """Stand-in vectors in place of the model, for the memory run on a huge file.

    Embedding 200 MB of text for real would take hours on 2 cores; the model's memory is a
    constant, ours grows with the file. So the real model is loaded and run once (its
    weights and buffers are resident, as in a real worker) and then random vectors shaped
    like embeddings are returned (corpus.StandInVectors), which measures what casework's
    own code holds at this scale.
    """

    name = "stand-in-random"
    dimensions = 384

    def __init__(self) -> None:
        from casework.search.embedder import SentenceTransformerEmbedder

        self.model = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
        self.vectors = corpus.StandInVectors(5, dimensions=self.dimensions)
        self.on_first_call: Any = None

    def warm(self) -> None:
        writer = corpus.ProseWriter(3)
        self.model.embed([writer.paragraph((6, 9)) for _ in range(64)])

    def embed(self, texts: list[str]) -> np.ndarray:
        if self.on_first_call is not None:
            self.on_first_call()
            self.on_first_call = None
        return self.vectors.sample(len(texts))


class WriterProbe:
    """A tiny write transaction every half second, as an upload or a job claim would make.

    SQLite has one writer at a time; this records how long other writers wait (and whether
    they give up: busy_timeout is 30 s) while a phase runs.
    """

    def __init__(self, runtime: Any, interval: float = 0.5) -> None:
        import threading

        self.runtime = runtime
        self.interval = interval
        self.waits: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from sqlalchemy import text
        from sqlalchemy.exc import OperationalError

        from casework.core.database import transaction

        while not self._stop.is_set():
            started = time.perf_counter()
            try:
                with transaction(self.runtime.sessions) as session:
                    session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE takes the lock
            except OperationalError as exc:
                self.failures.append(str(exc.orig))
            self.waits.append(time.perf_counter() - started)
            self._stop.wait(self.interval)

    def __enter__(self) -> WriterProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict[str, Any]:
        return {"writes": len(self.waits), "max_wait_s": round(max(self.waits, default=0), 2),
                "waits_over_1s": sum(w > 1 for w in self.waits),
                "gave_up_database_locked": len(self.failures)}
