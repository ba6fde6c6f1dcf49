"""Password hashing is bounded per process: each Argon2id check takes 64 MiB, so a storm of sign-ins
must queue for a few slots instead of holding that much memory each at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from argon2 import PasswordHasher
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from infra.accounts import SqlAccounts
from services.access import Principal, Role

SIGN_INS = 8
SLOTS = 2


class CountingHasher(PasswordHasher):
    """A hasher that records how many checks run at once, each held until the test lets them go."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.counting = False
        self.release = threading.Event()

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        if not self.counting:
            return super().verify(hash, password)
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            self.release.wait(timeout=30)
            return super().verify(hash, password)
        finally:
            with self.lock:
                self.running -= 1


def test_sign_ins_at_once_check_at_most_the_slots_passwords_at_a_time() -> None:
    hasher = CountingHasher()
    accounts = SqlAccounts(
        create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}),
        hasher=hasher,
        hashing_at_once=threading.BoundedSemaphore(SLOTS),
    )
    accounts.create_tables()
    password = "a long and unusual test password 7"
    accounts.add(Principal(username="maria", role=Role.CASEWORKER, tenants=frozenset({"sofades"})), password)
    hasher.counting = True
    with ThreadPoolExecutor(SIGN_INS) as pool:
        answers = [pool.submit(accounts.authenticate, "maria", password) for _ in range(SIGN_INS)]
        deadline = time.monotonic() + 30
        while hasher.running < SLOTS and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # room for any check beyond the slots to start, were they not bounded
        seen_at_once = hasher.most
        hasher.release.set()
        signed_in = [a.result(timeout=60) for a in answers]
    assert seen_at_once == SLOTS
    assert all(p is not None and p.username == "maria" for p in signed_in)
