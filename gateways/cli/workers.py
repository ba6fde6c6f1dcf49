"""What the long-running commands share (serve, projections run, gateway run, rollup run):
stopping on a signal, JSON logs, and the health and metrics port."""

from __future__ import annotations

import logging
import signal
import socket
import threading
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from gateways.observability import Check, Heartbeat, Metrics
    from infra.bootstrap import Kentra

worker_log = logging.getLogger("kentra.worker")

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
