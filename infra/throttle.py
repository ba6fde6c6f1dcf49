"""Throttling sign-in attempts, per account and per client, with the `limits` library.

Only failed attempts are counted, in a moving window; once either count is spent, every attempt
(even with the right password) is refused until the window moves on, so guessing stops there.
Storage is the process's memory by default; several replicas share one count through a storage
URI `limits` understands (``redis://host:6379``, ``memcached://host:11211``), set in
``KENTRA_RATE_LIMIT_STORAGE``.
"""

from __future__ import annotations

import math
import time

import limits
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

_LONGEST_NAME = 200  # what the counter keeps of a typed user name, so a huge name cannot grow memory


class SignInThrottledError(Exception):
    """Too many failed sign-ins for this account or from this client; ``retry_after`` in seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many failed sign-ins: try again in {retry_after} s")


class SignInThrottle:
    def __init__(self, per_account: str, per_client: str, storage: str = "memory://") -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage))
        self._per_account = limits.parse(per_account)
        self._per_client = limits.parse(per_client)

    def _keys(self, username: str, client: str) -> list[tuple[limits.RateLimitItem, str, str]]:
        account = username.strip().casefold()[:_LONGEST_NAME]
        return [(self._per_account, "account", account), (self._per_client, "client", client)]

    def check(self, username: str, client: str) -> None:
        """Raise SignInThrottledError, saying how long to wait, if no attempt may be made now."""
        waits = []
        for item, kind, key in self._keys(username, client):
            if not self._limiter.test(item, "kentra-sign-in", kind, key):
                reset, _ = self._limiter.get_window_stats(item, "kentra-sign-in", kind, key)
                waits.append(max(1, math.ceil(reset - time.time())))
        if waits:
            raise SignInThrottledError(max(waits))

    def failed(self, username: str, client: str) -> None:
        for item, kind, key in self._keys(username, client):
            self._limiter.hit(item, "kentra-sign-in", kind, key)
