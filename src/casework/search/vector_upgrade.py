"""Switch a running process to pgvector once its table exists: no restart after `casework
migrate` set it up on a server that lacked it at the start.

A process started before pgvector was set up would otherwise keep answering 503 to semantic
searches and, worse, run embedding jobs into an index that drops them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import inspect

from casework.db.pgvector import copy_missing_vectors
from casework.runtime import Runtime
from casework.search.pgvector_index import PgvectorIndex

log = logging.getLogger(__name__)

RECHECK_SECONDS = 10.0


class PgvectorUpgrade:
    """Looks for the `chunk_vector` table: searches every RECHECK_SECONDS at most, jobs
    every time (one catalogue query); `on_ready` then runs once (queue skipped vectors)."""

    def __init__(self, *, on_ready: Callable[[Runtime], None]) -> None:
        self.on_ready = on_ready
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    def check(self, runtime: Runtime, *, force: bool) -> None:
        if isinstance(runtime.vector_index, PgvectorIndex):
            return
        # A search thread never waits for the lock: it holds a pooled connection, and the
        # checker needs another one; threads queued on the lock could starve it of one.
        if not self._lock.acquire(blocking=force):
            return
        try:
            now = time.monotonic()
            if not force and now - self._checked_at < RECHECK_SECONDS:
                return
            self._checked_at = now
            with runtime.engine.connect() as conn:
                if not inspect(conn).has_table("chunk_vector"):
                    return
            # Vectors this process put in its on-disk index meanwhile are in `embedding`.
            copied = copy_missing_vectors(runtime.engine, model=runtime.embedder.name)
            runtime.vector_index = PgvectorIndex(sessions=runtime.sessions,
                                                 read_sessions=runtime.read_sessions,
                                                 dimensions=runtime.embedder.dimensions)
            runtime.semantic_off_reason = None
        finally:
            self._lock.release()
        log.info("pgvector is set up: vectors live in PostgreSQL from now on (%d copied)",
                 copied)
        self.on_ready(runtime)
