"""Count searches and active users in memory and write them out every few seconds.

A write per search would put a write transaction on the hot path (and on SQLite, behind the
single writer). Counts are added to in memory and written by a background thread every
FLUSH_SECONDS as increments (upserts), and at shutdown; a crash loses at most those
seconds. Pages that show usage call `flush` first (and then read in a fresh snapshot: see
`usage.service.usage_report`), so this process's latest searches are never missing; other
server processes' are at most FLUSH_SECONDS late.

What is kept of a search: its response time (in a histogram bucket) and its content words
(see `search_terms`), never the query as typed. Questions are not seen here: the question
log keeps only their hash (ask/models.py).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from casework.core.database import transaction, utcnow
from casework.search.query import STOP_WORDS, parse_query
from casework.usage.models import UsageActiveUser, UsageDay, UsageSearchLatency, UsageTerm

log = logging.getLogger(__name__)

FLUSH_SECONDS = 10.0
# Histogram buckets of 2^(1/4): bucket b holds times in [2^(b/4), 2^((b+1)/4)) ms.
BUCKETS_PER_DOUBLING = 4
LOWEST_BUCKET, HIGHEST_BUCKET = -8, 80  # 0.25 ms .. ~1,000 s: beyond, the end buckets
PEOPLE_BITS = 63  # fits a signed BIGINT on PostgreSQL
TERMS_PER_SEARCH = 8
TERM_CHARS = (3, 40)
RETENTION_DAYS = 400  # term, latency and active-user rows older than this are removed
ROWS_PER_STATEMENT = 300


def bucket_of(took_ms: float) -> int:
    if took_ms <= 0:
        return LOWEST_BUCKET
    bucket = math.floor(math.log2(took_ms) * BUCKETS_PER_DOUBLING)
    return min(max(bucket, LOWEST_BUCKET), HIGHEST_BUCKET)


def bucket_upper_ms(bucket: int) -> float:
    """The bucket's upper edge: what p95 reports (never below the true value)."""
    return 2 ** ((bucket + 1) / BUCKETS_PER_DOUBLING)


def search_terms(text: str) -> list[str]:
    """The words of a search that can say what people look for: lower-cased, stop words
    dropped, letters only (no case numbers, dates, phone numbers or ids), 3-40 characters,
    at most TERMS_PER_SEARCH of them."""
    parsed = parse_query(text)
    words = parsed.terms + parsed.prefixes + parsed.required_words
    kept = [w for w in dict.fromkeys(words)
            if w.isalpha() and TERM_CHARS[0] <= len(w) <= TERM_CHARS[1]
            and w not in STOP_WORDS]
    return kept[:TERMS_PER_SEARCH]


@dataclass(slots=True)
class _Pending:
    """One workspace-day's counts not yet written."""

    searches: int = 0
    search_ms: float = 0.0
    buckets: Counter[int] = field(default_factory=Counter)
    terms: dict[str, list[int]] = field(default_factory=dict)  # term -> [searches, people]
    users: set[str] = field(default_factory=set)

    def merge(self, other: _Pending) -> None:
        self.searches += other.searches
        self.search_ms += other.search_ms
        self.buckets.update(other.buckets)
        for term, (count, people) in other.terms.items():
            entry = self.terms.setdefault(term, [0, 0])
            entry[0] += count
            entry[1] |= people
        self.users |= other.users


class UsageMeter:
    def __init__(self, sessions: sessionmaker[Session], *, key: str = "") -> None:
        self._sessions = sessions
        self._key = key.encode()  # keys the searcher bit of usage_term.people
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one write at a time; counts keep arriving
        self._pending: dict[tuple[str, str], _Pending] = {}
        self._written_users: set[tuple[str, str, str]] = set()  # today's, already stored
        self._written_day = ""
        self._pruned_day = ""
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # --- recording (request threads: memory only) -------------------------------------
    def record_search(self, workspace_id: str, took_ms: float, *, text: str = "",
                      actor: str | None = None) -> None:
        """One search: its time, and its terms with the bit of `actor` (who searched)."""
        terms = search_terms(text) if text else []
        people = self.person_bit(workspace_id, actor) if actor else 0
        with self._lock:
            entry = self._entry(workspace_id)
            entry.searches += 1
            entry.search_ms += took_ms
            entry.buckets[bucket_of(took_ms)] += 1
            for term in terms:
                counts = entry.terms.setdefault(term, [0, 0])
                counts[0] += 1
                counts[1] |= people
        self._start_ticker()

    def record_active(self, workspace_id: str, user_id: str) -> None:
        """A user made an authenticated request in this workspace (counted once a day)."""
        day = _today()
        with self._lock:
            if (workspace_id, day, user_id) in self._written_users:
                return
            self._entry(workspace_id, day).users.add(user_id)
        self._start_ticker()

    def _entry(self, workspace_id: str, day: str | None = None) -> _Pending:
        key = (workspace_id, day or _today())
        entry = self._pending.get(key)
        if entry is None:
            entry = self._pending[key] = _Pending()
        return entry

    def person_bit(self, workspace_id: str, actor: str) -> int:
        """The one bit of the people set that `actor` sets: 63 bits, so two searchers share
        one about once in 63 and a term then shows fewer people than searched it."""
        digest = hmac.new(self._key, f"{workspace_id}:{actor}".encode(), hashlib.sha256)
        return 1 << (int.from_bytes(digest.digest()[:8], "big") % PEOPLE_BITS)

    # --- writing ---------------------------------------------------------------------
    def _start_ticker(self) -> None:
        if self._ticker is not None or self._stop.is_set():
            return
        with self._lock:
            if self._ticker is None:
                self._ticker = threading.Thread(target=self._tick, daemon=True,
                                                name="casework-usage-flush")
                self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self.flush()

    def flush(self) -> None:
        """Write every pending count now; on a database error they wait for the next try."""
        with self._flushing:
            with self._lock:
                pending, self._pending = self._pending, {}
            if pending:
                try:
                    with transaction(self._sessions) as session:
                        _write(session, pending)
                except Exception:
                    log.warning("usage counts could not be written; retrying later",
                                exc_info=True)
                    with self._lock:
                        for key, entry in pending.items():
                            self._entry(*key).merge(entry)
                    return
                self._remember_users(pending)
            self._prune_once_a_day()

    def _remember_users(self, written: dict[tuple[str, str], _Pending]) -> None:
        today = _today()
        with self._lock:
            if self._written_day != today:
                self._written_users.clear()
                self._written_day = today
            self._written_users.update((ws, day, user) for (ws, day), entry in written.items()
                                       if day == today for user in entry.users)

    def _prune_once_a_day(self) -> None:
        today = _today()
        if self._pruned_day == today:
            return
        self._pruned_day = today
        oldest = (utcnow() - timedelta(days=RETENTION_DAYS)).strftime("%Y-%m-%d")
        try:
            with transaction(self._sessions) as session:
                for model in (UsageTerm, UsageSearchLatency, UsageActiveUser):
                    session.execute(delete(model).where(model.day < oldest))
        except Exception:
            log.warning("old usage rows could not be removed", exc_info=True)

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(FLUSH_SECONDS)
        self.flush()


def _today() -> str:
    return utcnow().strftime("%Y-%m-%d")


def _write(session: Session, pending: dict[tuple[str, str], _Pending]) -> None:
    days, latencies, terms, users = [], [], [], []
    for (workspace_id, day), entry in pending.items():
        key = {"workspace_id": workspace_id, "day": day}
        if entry.searches:
            days.append({**key, "queries": entry.searches, "query_ms_total": entry.search_ms})
        latencies += [{**key, "bucket": b, "searches": n} for b, n in entry.buckets.items()]
        terms += [{**key, "term": t, "searches": n, "people": p}
                  for t, (n, p) in entry.terms.items()]
        users += [{**key, "user_id": u} for u in entry.users]
    _upsert(session, UsageDay, days, add=("queries", "query_ms_total"))
    _upsert(session, UsageSearchLatency, latencies, add=("searches",))
    _upsert(session, UsageTerm, terms, add=("searches",), union=("people",))
    _upsert(session, UsageActiveUser, users)


def _upsert(session: Session, model: type[Any], rows: list[dict[str, Any]], *,
            add: tuple[str, ...] = (), union: tuple[str, ...] = ()) -> None:
    """INSERT ... ON CONFLICT: counts in `add` are summed and bit sets in `union` OR-ed
    with the stored row's, in the database, so concurrent writers lose nothing."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    keys = [column.name for column in table.primary_key.columns]
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        statement = insert(table).values(rows[start:start + ROWS_PER_STATEMENT])
        updates = {name: table.c[name] + statement.excluded[name] for name in add}
        updates |= {name: table.c[name].op("|")(statement.excluded[name]) for name in union}
        session.execute(statement.on_conflict_do_update(index_elements=keys, set_=updates)
                        if updates else statement.on_conflict_do_nothing(index_elements=keys))
