"""Answers cached per workspace, never stale: keys carry the workspace's index version.

An extractive answer costs an embedding of every candidate sentence and a generated one a
model's whole reply, while a team asks the same questions of the same case again and again.
The version is the search cache's in Redis when there is one (several API processes share
it, and every commit that changes a workspace's content bumps it, search/cache.py); on the
embedded default it is a counter in this process, bumped by the same commit hook, and the
answers stay in memory (bounded, least recently used out first). The version is read
before answering, so an answer that races a change is stored under the old version.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from casework.search.cache import SearchCache


class AnswerCache:
    def __init__(self, *, ttl_seconds: int, max_entries: int,
                 shared: SearchCache | None = None) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.shared = shared
        self._lock = threading.Lock()
        self._versions: dict[str, int] = {}
        self._entries: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()

    def version(self, workspace_id: str) -> int:
        if self.shared is not None:
            return self.shared.version(workspace_id)
        with self._lock:
            return self._versions.get(workspace_id, 0)

    def bump(self, workspace_ids: Iterable[str]) -> None:
        """In-process versions only: with Redis the search cache bumps the shared one."""
        with self._lock:
            for workspace_id in workspace_ids:
                self._versions[workspace_id] = self._versions.get(workspace_id, 0) + 1

    def key(self, *, workspace_id: str, version: int, parts: dict[str, Any]) -> str:
        if self.shared is not None:
            return self.shared.key(workspace_id=workspace_id, version=version,
                                   parts={"ask": parts})
        digest = hashlib.sha256(
            json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]
        return f"ask:{workspace_id}:{version}:{digest}"

    def get(self, key: str) -> dict[str, Any] | None:
        if self.ttl_seconds == 0:
            return None
        if self.shared is not None:
            return self.shared.get(key, ttl_seconds=self.ttl_seconds)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            stored_at, value = entry
            if time.monotonic() - stored_at > self.ttl_seconds:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        if self.ttl_seconds == 0:
            return
        if self.shared is not None:
            self.shared.put(key, value, ttl_seconds=self.ttl_seconds)
            return
        with self._lock:
            self._entries[key] = (time.monotonic(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
