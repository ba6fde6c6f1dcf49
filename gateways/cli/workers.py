"""What the long-running commands share (serve, projections run, gateway run, rollup run):
stopping on a signal, JSON logs, and the health and metrics port."""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from gateways.observability import Check, Heartbeat, Metrics
    from infra.bootstrap import Kentra

worker_log = logging.getLogger("kentra.worker")
SAFETY_POLL_SECONDS = 30.0  # on PostgreSQL, NOTIFY wakes the followers: the poll only catches a lost one

HealthPort = Annotated[
    int | None,
    typer.Option(
        min=1, max=65535, help="Serve /health/live, /health/ready and /metrics here [default: KENTRA_HEALTH_PORT]"
    ),
]


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or Ctrl-C, which the command's loop watches."""
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    return stopping


def observe_worker(kentra: Kentra, port: int | None, heartbeat: Heartbeat, ready: dict[str, Check]) -> Metrics:
    """Wait for the schema this worker needs (it runs no DDL), then JSON logs, and health and metrics on
    the port if one is given (by option or setting)."""
    from gateways.observability import Metrics, configure_logging, database_check, serve_health
    from infra.schema_version import wait_for_schema

    configure_logging(kentra.settings.log_level)
    wait_for_schema(kentra)
    metrics = Metrics(kentra)
    port = port or kentra.settings.health_port
    if port:
        serve_health(port, metrics, {"loop": heartbeat.check}, {"database": database_check(kentra), **ready})
        worker_log.info("health and metrics on port %d", port)
    return metrics


def broker_check(servers: str) -> Check:
    """The broker answers: one of the bootstrap servers accepts a connection (cheap enough for probes)."""

    def check() -> None:
        for server in servers.split(","):
            host, _, port = server.strip().rpartition(":")
            try:
                socket.create_connection((host or "localhost", int(port or 9092)), timeout=2).close()
            except (OSError, ValueError):
                continue
            return
        raise ConnectionError("no bootstrap server answers")

    return check


class Shard:
    """This replica's share of the tenants for one kind of work (``infra/leases.py``), and when to look.

    Leases are renewed every third of their length. A tenant is looked at when something was recorded
    (PostgreSQL's NOTIFY, one listening connection per process), when it was just taken, and at the
    safety poll (``interval``; on PostgreSQL at least SAFETY_POLL_SECONDS, since NOTIFY wakes it).
    """

    def __init__(
        self,
        kentra: Kentra,
        kind: str,
        stopping: threading.Event,
        *,
        interval: float,
        on_taken: Callable[[str, int], bool] | None = None,
    ) -> None:
        from gateways.cli.common import tenants_of
        from infra.leases import Leases

        self.kind = kind
        self.seconds = kentra.settings.worker_lease_seconds
        self.leases = Leases(kentra.accounts.engine, kind, seconds=self.seconds)
        self.tenant_ids = tenants_of(kentra, None)
        self.on_taken = on_taken
        self.wake = threading.Event()
        self.stopping = stopping
        url = kentra.settings.database_url
        self.poll = max(interval, SAFETY_POLL_SECONDS) if url else interval
        if url:
            from infra.wakeup import listen_for_events

            listen_for_events(url.get_secret_value(), self.wake, stopping)
        if threading.current_thread() is threading.main_thread():  # a signal also ends the wait
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: self.stop())
        self._renew_at = 0.0
        self._poll_at = 0.0
        self._pending: set[str] = set()  # taken, but on_taken has not yet succeeded
        self._fresh: set[str] = set()  # taken or made ready since the last visit

    def visit(self) -> list[str]:
        """The tenants to look at now: all held when woken or at the poll, else only those just taken."""
        self._renew_if_due()
        for tenant_id in sorted(self._pending):
            if self.on_taken is None or self.on_taken(tenant_id, self.leases.token(tenant_id)):
                self._pending.discard(tenant_id)
                self._fresh.add(tenant_id)
        now = time.monotonic()
        if self.wake.is_set() or now >= self._poll_at:
            self.wake.clear()
            self._poll_at = now + self.poll
            chosen = set(self.leases.held)
        else:
            chosen = self._fresh
        self._fresh = set()
        return [t for t in sorted(chosen - self._pending) if self.holds(t)]

    def holds(self, tenant_id: str) -> bool:
        """Still ours for a third of the lease at least: checked before each batch."""
        return self.leases.holds(tenant_id, margin=self.seconds / 3)

    def fence(self, tenant_id: str) -> tuple[str, int]:
        """The lease's kind and token, under which the tenant's positions move."""
        return self.kind, self.leases.token(tenant_id)

    def again(self) -> None:
        """There was work: look at every held tenant again without waiting."""
        self.wake.set()

    def wait(self) -> None:
        """Until something is recorded, the poll comes, a lease is to be renewed, or the command stops."""
        timeout = max(0.0, min(self._poll_at, self._renew_at) - time.monotonic())
        self.wake.wait(timeout)

    def stop(self) -> None:
        """End the command's loop, and its wait at once."""
        self.stopping.set()
        self.wake.set()

    def close(self) -> None:
        """A clean stop: every lease given back, so the other replicas take them over at once."""
        try:
            self.leases.release_all()
        except Exception as error:  # the database is away: the leases expire by themselves
            worker_log.warning("leases not released (%s); they expire in %.0fs", type(error).__name__, self.seconds)

    def _renew_if_due(self) -> None:
        if time.monotonic() < self._renew_at:
            return
        self._renew_at = time.monotonic() + self.seconds / 3
        try:
            result = self.leases.renew(self.tenant_ids)
        except Exception as error:  # the platform database is away: what we hold lapses by itself
            worker_log.warning("%s leases not renewed (%s); retrying", self.kind, type(error).__name__)
            return
        self._pending = {t for t in self._pending if t in result.tokens} | result.taken
        if result.taken or result.released:
            worker_log.info(
                "%s: took %d tenants, gave back %d; holds %d of %d with %d members",
                self.kind,
                len(result.taken),
                len(result.released),
                len(result.tokens),
                len(self.tenant_ids),
                result.members,
            )
