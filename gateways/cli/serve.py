"""`kentra serve`: the HTTP API and the pages, with the audit chain followed beside them."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from gateways.cli.common import platform
from gateways.cli.workers import Shard, worker_log

if TYPE_CHECKING:
    from infra.bootstrap import Kentra

CHAIN_FOLLOW_SECONDS = 1.0


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    metrics_port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Serve /metrics here, apart from the API [default: KENTRA_METRICS_PORT]"),
    ] = None,
    metrics_host: Annotated[
        str | None, typer.Option(help="Address of the metrics port [default: KENTRA_METRICS_HOST, 127.0.0.1]")
    ] = None,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs); /metrics only on --metrics-port.

    A chain follower runs beside it: this replica's share of the tenants (leases of kind "chain",
    split between the API replicas) has its audit chain extended over what was recorded (through the
    chain role, not the API's), woken by what is recorded on PostgreSQL, every second on SQLite, and
    a checkpoint signed when one is due.
    """
    import uvicorn

    from gateways.http.app import create_app
    from gateways.observability import configure_logging, database_check, serve_health
    from infra.schema_version import wait_for_schema

    with platform() as kentra:
        configure_logging(kentra.settings.log_level)
        wait_for_schema(kentra)  # no DDL here: `kentra migrate` runs it (infra/schema_version.py)
        api = create_app(kentra)
        metrics_port = metrics_port or kentra.settings.metrics_port
        if metrics_port:
            where = metrics_host or kentra.settings.metrics_host
            serve_health(metrics_port, api.state.metrics, {}, {"database": database_check(kentra)}, host=where)
            worker_log.info("metrics on %s:%d", where, metrics_port)
        stopping = threading.Event()
        every = timedelta(seconds=kentra.settings.checkpoint_interval_seconds)
        follower = threading.Thread(
            target=_follow_chains, args=(kentra, stopping, every), name="kentra-chain-follower", daemon=True
        )
        follower.start()
        try:
            # log_config=None keeps our JSON logging; uvicorn's access log would write raw query strings.
            uvicorn.run(api, host=host, port=port, log_config=None, access_log=False)
        finally:
            stopping.set()
            follower.join(timeout=10)


def _follow_chains(kentra: Kentra, stopping: threading.Event, every: timedelta) -> None:
    """Keep this replica's share of the tenants' audit chains within a second of their logs until
    ``stopping`` is set: API replicas share the chains through leases of their own kind ("chain")."""
    shard = Shard(kentra, "chain", stopping, interval=CHAIN_FOLLOW_SECONDS)
    try:
        while not stopping.is_set():
            for tid in shard.visit():
                if not shard.holds(tid):
                    continue
                try:
                    chain = kentra.audit_chain(tid)
                    chain.extend()
                    if chain.checkpoint_due(every):
                        chain.checkpoint()
                except Exception as error:  # a store away for a moment: try again next round
                    worker_log.warning("audit chain of %s not extended (%s); retrying", tid, type(error).__name__)
            shard.wait()
    finally:
        shard.close()
