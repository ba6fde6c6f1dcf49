"""New events wake followers through one LISTEN connection per process, for every tenant (issue 22)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import psycopg
from eventsourcing.persistence import ListenNotifySubscription
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql


class Wakeups:
    """One ``LISTEN`` connection per process, waking every subscription of every tenant.

    The library's subscription LISTENs on a connection of its own per subscription (one per tenant:
    connections would grow with tenants again), and on the shared pool inside a transaction that
    never commits, so it would never hear. Every tenant's ``NOTIFY`` is on one channel (the events
    table's name, the same in each schema): each wakes every waiter, which reads its own log. LISTEN
    is session state: this connection must reach PostgreSQL itself, not PgBouncer in transaction
    mode; a wake every ``HEARTBEAT`` seconds keeps followers going if notifications are lost.
    """

    CHANNEL = "casework_events"
    HEARTBEAT = 10.0

    def __init__(self, conninfo: str, name: str) -> None:
        self._conninfo = conninfo
        self._name = name
        self._waiters: set[threading.Event] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, waiter: threading.Event) -> None:
        """Set ``waiter`` at each new event of any tenant (and at the first LISTEN)."""
        with self._lock:
            self._waiters.add(waiter)
            if self._thread is None:
                self._thread = threading.Thread(target=self._listen, name="kentra-wakeups", daemon=True)
                self._thread.start()

    def discard(self, waiter: threading.Event) -> None:
        with self._lock:
            self._waiters.discard(waiter)

    def _wake(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for waiter in waiters:
            waiter.set()

    def _listen(self) -> None:
        while not self._stopped.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, application_name=self._name) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.CHANNEL)))
                    self._wake()  # what was recorded while nobody listened
                    last = time.monotonic()
                    while not self._stopped.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            self._wake()
                        if time.monotonic() - last >= self.HEARTBEAT:
                            self._wake()
                            last = time.monotonic()
            except psycopg.Error:
                self._stopped.wait(1.0)  # the server restarted or refused: listen again shortly

    def close(self) -> None:
        self._stopped.set()
        self._wake()
        if self._thread is not None:
            self._thread.join()


class SharedPoolSubscription(ListenNotifySubscription[PostgresApplicationRecorder]):
    """The library's subscription, woken by the process's ``Wakeups`` instead of a LISTEN of its own."""

    def __init__(
        self, recorder: PostgresApplicationRecorder, wakeups: Wakeups, gt: int | None, topics: Sequence[str]
    ) -> None:
        self._wakeups = wakeups
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        wakeups.add(self._has_been_notified)
        self._has_been_notified.set()  # one more pull: nothing recorded before the line above is missed

    def stop(self) -> None:
        super().stop()
        self._wakeups.discard(self._has_been_notified)
