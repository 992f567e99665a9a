"""Rate limits on the `limits` library: one storage (memory:// now, redis:// when scaled out)
shared by the per-client default, login attempts, uploads and failed-login delays.

A refusal is a `RateLimited` error (429) carrying `Retry-After` and `X-RateLimit-*`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from casework.core.errors import RateLimited

# Failed logins per account and IP before delays start, the first delay, and the longest.
FREE_FAILURES = 3
MAX_FAILURE_DELAY_SECONDS = 60
FAILURE_MEMORY_SECONDS = 15 * 60


@dataclass(frozen=True, slots=True)
class LimitState:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # epoch seconds

    def headers(self) -> dict[str, str]:
        headers = {"X-RateLimit-Limit": str(self.limit),
                   "X-RateLimit-Remaining": str(self.remaining),
                   "X-RateLimit-Reset": str(math.ceil(self.reset_at))}
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.reset_at - time.time())))
        return headers


class RateLimiter:
    """Lives on the `Runtime`; one per process (per cluster once the storage is Redis)."""

    def __init__(self, storage_url: str) -> None:
        self.storage = storage_from_string(storage_url)
        self.strategy = FixedWindowRateLimiter(self.storage)

    def hit(self, namespace: str, key: str, *, limit: int, window_seconds: int) -> LimitState:
        item = RateLimitItemPerSecond(limit, window_seconds, namespace=namespace)
        allowed = self.strategy.hit(item, key)
        stats = self.strategy.get_window_stats(item, key)
        return LimitState(allowed, limit, max(0, stats.remaining), stats.reset_time)

    def refuse_when_spent(self, namespace: str, key: str, *, limit: int, window_seconds: int,
                          what: str) -> None:
        """Refuse once `limit` hits were counted (by `hit`), without counting this one."""
        item = RateLimitItemPerSecond(limit, window_seconds, namespace=namespace)
        if not self.strategy.test(item, key):
            stats = self.strategy.get_window_stats(item, key)
            state = LimitState(False, limit, 0, stats.reset_time)
            raise RateLimited(f"too many {what}; try again later", headers=state.headers(),
                              details={"retry_after": int(state.headers()["Retry-After"])})

    def enforce(self, namespace: str, key: str, *, limit: int, window_seconds: int,
                what: str) -> LimitState:
        state = self.hit(namespace, key, limit=limit, window_seconds=window_seconds)
        if not state.allowed:
            raise RateLimited(f"too many {what}; try again later", headers=state.headers(),
                              details={"retry_after": int(state.headers()["Retry-After"])})
        return state

    def first_in_window(self, namespace: str, key: str, *, window_seconds: int) -> bool:
        """True for the first call per key in a fixed window (shared through Redis when
        the storage is Redis, per process on memory://); used to deduplicate events."""
        return self.storage.incr(f"{namespace}/{key}", window_seconds) == 1

    # Growing delays after failed logins: n failures beyond the free ones lock the key for
    # 2^(n-1) seconds (1, 2, 4 ... 60). Logins key it by account AND client IP, so a
    # stranger's failures never lock the owner out from the owner's own address.

    def locked_for(self, key: str) -> float:
        if self.storage.get(f"lock/{key}") <= 0:
            return 0.0
        return max(0.0, self.storage.get_expiry(f"lock/{key}") - time.time())

    def note_failure(self, key: str) -> float:
        failures = self.storage.incr(f"fail/{key}", FAILURE_MEMORY_SECONDS)
        beyond = failures - FREE_FAILURES
        if beyond <= 0:
            return 0.0
        delay = min(MAX_FAILURE_DELAY_SECONDS, 2 ** (beyond - 1))
        self.storage.clear(f"lock/{key}")
        self.storage.incr(f"lock/{key}", delay)
        return float(delay)

    def clear_failures(self, key: str) -> None:
        self.storage.clear(f"fail/{key}")
        self.storage.clear(f"lock/{key}")

    def refuse_while_locked(self, key: str) -> None:
        wait = self.locked_for(key)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise RateLimited(
                f"too many failed logins for this account from here; wait {seconds} s",
                headers={"Retry-After": str(seconds)}, details={"retry_after": seconds})
