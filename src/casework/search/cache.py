"""Search results cached in Redis, never stale: keys carry the workspace's index version.

Every commit that changes a workspace's content (chunks, documents, notes, tags, vectors)
bumps that workspace's version in Redis right after it commits, so a cached result can
only be found while the content it was computed from is still current. The version is read
*before* searching: a search that races a commit stores its result under the old version,
which nobody asks for again. A TTL bounds what a lost bump (Redis briefly down) could cost.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

_CHANGED = "casework_changed_workspaces"
# Rows whose changes do not alter what a search returns. Usage counters and API keys'
# last use are written while searching (the question log while asking): bumping on them
# emptied the cache every few seconds.
_IGNORED_TABLES = frozenset({"job", "worker_heartbeat", "audit_event", "usage_day",
                             "question_log", "api_key", "invitation", "membership"})


def mark_changed(session: Session, workspace_id: str) -> None:
    """Record that this transaction changes the workspace's searchable content.

    For changes made with core statements (bulk chunk inserts and deletes), which the ORM
    flush does not see; ORM changes to workspace-owned rows are noticed on their own.
    """
    changed: set[str] | None = session.info.get(_CHANGED)
    if changed is None:
        changed = session.info[_CHANGED] = set()
    changed.add(workspace_id)


def track_changes(sessions: sessionmaker[Session],
                  publish: Callable[[set[str]], None]) -> None:
    """Call `publish(workspace ids)` after each commit of `sessions` that changed content."""

    @event.listens_for(sessions, "after_flush")
    def _collect(session: Session, _context: Any) -> None:
        for obj in chain(session.new, session.dirty, session.deleted):
            table = getattr(obj, "__tablename__", "")
            workspace_id = getattr(obj, "workspace_id", None)
            if workspace_id and table not in _IGNORED_TABLES:
                mark_changed(session, workspace_id)

    @event.listens_for(sessions, "after_commit")
    def _publish(session: Session) -> None:
        changed = session.info.pop(_CHANGED, None)
        if changed:
            publish(changed)


class SearchCache:
    """Redis-backed result cache and per-workspace index versions."""

    def __init__(self, redis: Any, *, namespace: str, ttl_seconds: int) -> None:
        self.redis = redis
        self.namespace = namespace
        self.ttl_seconds = ttl_seconds

    def _version_key(self, workspace_id: str) -> str:
        return f"{self.namespace}:index-version:{workspace_id}"

    def version(self, workspace_id: str) -> int:
        return int(self.redis.get(self._version_key(workspace_id)) or 0)

    def bump(self, workspace_ids: Iterable[str]) -> None:
        try:
            pipe = self.redis.pipeline(transaction=False)
            for workspace_id in workspace_ids:
                pipe.incr(self._version_key(workspace_id))
            pipe.execute()
        except Exception:  # the commit is done; the TTL limits what a lost bump costs
            log.warning("could not bump the search index version", exc_info=True)

    def key(self, *, workspace_id: str, version: int, parts: dict[str, Any]) -> str:
        digest = hashlib.sha256(
            json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]
        return f"{self.namespace}:search:{workspace_id}:{version}:{digest}"

    def get(self, key: str, *, ttl_seconds: int | None = None) -> dict[str, Any] | None:
        """The value under `key`; None when there is none, or when the cache is off (a TTL
        of 0: default SEARCH_CACHE_SECONDS, the answer cache passes its own)."""
        if (self.ttl_seconds if ttl_seconds is None else ttl_seconds) == 0:
            return None
        try:
            raw = self.redis.get(key)
        except Exception:
            log.warning("search cache read failed", exc_info=True)
            return None
        return json.loads(raw) if raw else None

    def put(self, key: str, value: dict[str, Any], *, ttl_seconds: int | None = None) -> None:
        """Keep `value` for `ttl_seconds` (default: SEARCH_CACHE_SECONDS); 0 keeps nothing."""
        ttl = self.ttl_seconds if ttl_seconds is None else ttl_seconds
        if ttl == 0:
            return
        try:
            self.redis.set(key, json.dumps(value), ex=ttl)
        except Exception:
            log.warning("search cache write failed", exc_info=True)
