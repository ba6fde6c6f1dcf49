"""Sign-in throttling on one machine of several API processes (``kentra serve --workers N``): each
process counts failed sign-ins in its own memory, so together they must not allow more than the limit."""

from __future__ import annotations

import pytest

from infra.throttle import SignInThrottle, SignInThrottledError

LIMIT = "6/minute"


def _allowed(throttle: SignInThrottle, username: str, client: str) -> int:
    """How many failed sign-ins the throttle lets through before refusing."""
    allowed = 0
    for _ in range(100):
        try:
            throttle.check(username, client)
        except SignInThrottledError:
            return allowed
        throttle.failed(username, client)
        allowed += 1
    return allowed


@pytest.mark.parametrize("processes", [1, 2, 3, 4])
def test_processes_that_count_apart_together_allow_no_more_than_the_limit(processes: int) -> None:
    throttles = [SignInThrottle(LIMIT, "100/minute", processes=processes) for _ in range(processes)]
    allowed = sum(_allowed(t, "maria", "10.0.0.1") for t in throttles)
    assert 1 <= allowed <= 6


def test_per_client_limit_is_shared_out_too() -> None:
    throttles = [SignInThrottle("100/minute", LIMIT, processes=2) for _ in range(2)]
    assert sum(_allowed(t, f"user{n}", "10.0.0.9") for n, t in enumerate(throttles)) <= 6


def test_one_process_keeps_the_whole_limit() -> None:
    throttle = SignInThrottle(LIMIT, "100/minute", "memory://", processes=1)
    assert _allowed(throttle, "maria", "10.0.0.1") == 6
