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

# Set by `kentra serve --workers N` for the API processes it starts (how many count sign-ins apart).
API_PROCESSES = "KENTRA_API_PROCESSES"
_LONGEST_NAME = 200  # what the counter keeps of a typed user name, so a huge name cannot grow memory


def _share(item: limits.RateLimitItem, processes: int) -> limits.RateLimitItem:
    """A process's share of a limit that ``processes`` processes count apart: the amount divided, at least one."""
    if processes <= 1:
        return item
    return type(item)(max(1, item.amount // processes), item.multiples, item.namespace)


class SignInThrottledError(Exception):
    """Too many failed sign-ins for this account or from this client; ``retry_after`` in seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many failed sign-ins: try again in {retry_after} s")


class SignInThrottle:
    def __init__(self, per_account: str, per_client: str, storage: str = "memory://", *, processes: int = 1) -> None:
        """``processes``: how many API processes of one machine count apart (``kentra serve --workers``).
        In the process's memory each counts its own attempts, so each is given its share of the limit
        (at least one), and together they never allow more than the limit; a shared storage counts once."""
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage))
        share = processes if storage.startswith("memory://") else 1
        self._per_account = _share(limits.parse(per_account), share)
        self._per_client = _share(limits.parse(per_client), share)

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
