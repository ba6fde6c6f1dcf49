"""`kentra serve`: the HTTP API and the pages, with the audit chain followed beside them."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from gateways.cli.common import platform
from gateways.cli.workers import Shard, worker_log

if TYPE_CHECKING:
    from gateways.observability import Metrics
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
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="API processes on the port [default: KENTRA_SERVE_WORKERS, else one per core; 1 when embedded]",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs); /metrics only on --metrics-port.

    With --workers N above one, N processes share the port (uvicorn's supervisor); what must run once
    runs in the supervisor only: the chain follower, the import jobs and the metrics port (summing
    every process's counts). A chain follower runs beside the API: this replica's share of the tenants
    (leases of kind "chain", split between the API replicas) has its audit chain extended over what
    was recorded (through the chain role, not the API's), woken by what is recorded on PostgreSQL,
    every second on SQLite, and a checkpoint signed when one is due.
    """
    import uvicorn

    from gateways.observability import configure_logging, database_check, serve_health
    from infra.schema_version import wait_for_schema

    with platform() as kentra:
        configure_logging(kentra.settings.log_level)
        wait_for_schema(kentra)  # no DDL here: `kentra migrate` runs it (infra/schema_version.py)
        processes = _processes(kentra, workers)
        metrics_port = metrics_port or kentra.settings.metrics_port
        with _shared_metrics(processes > 1) as counted:
            from gateways.http.app import create_app

            api = create_app(kentra, jobs=processes == 1)
            metrics = api.state.metrics if counted is None else _summed(kentra, counted)
            if metrics_port:
                where = metrics_host or kentra.settings.metrics_host
                serve_health(metrics_port, metrics, {}, {"database": database_check(kentra)}, host=where)
                worker_log.info("metrics on %s:%d", where, metrics_port)
            stopping = threading.Event()
            every = timedelta(seconds=kentra.settings.checkpoint_interval_seconds)
            follower = threading.Thread(
                target=_follow_chains, args=(kentra, stopping, every), name="kentra-chain-follower", daemon=True
            )
            follower.start()
            worker_log.info("chain follower started in process %d (API processes: %d)", os.getpid(), processes)
            try:
                # log_config=None keeps our JSON logging; uvicorn's access log would write raw query strings.
                if processes == 1:
                    uvicorn.run(api, host=host, port=port, log_config=None, access_log=False)
                else:
                    with _jobs_once(kentra), _told_processes(processes):
                        uvicorn.run(
                            "gateways.http.server:worker_app",
                            factory=True,
                            workers=processes,
                            host=host,
                            port=port,
                            log_config=None,
                            access_log=False,
                        )
            finally:
                stopping.set()
                follower.join(timeout=10)


def _processes(kentra: Kentra, asked: int | None) -> int:
    """How many API processes: asked, else the setting, else one per core; the embedded store one only."""
    from gateways.cli.common import fail

    chosen = asked or kentra.settings.serve_workers
    if kentra.settings.embedded:
        if chosen is not None and chosen > 1:
            fail("the embedded store is served by one process: set KENTRA_DATABASE_URL for --workers above 1")
        return 1
    return chosen or cores()


def cores() -> int:
    """The cores this process may use (affinity and a cgroup's CPU quota: ``infra.machine.usable_cores``)."""
    from infra.machine import usable_cores

    return usable_cores()


@contextmanager
def _told_processes(processes: int) -> Iterator[None]:
    """The API processes started inside know how many they are (each counts sign-ins apart: infra/throttle.py)."""
    from infra.throttle import API_PROCESSES

    os.environ[API_PROCESSES] = str(processes)  # the processes spawned inherit it
    try:
        yield
    finally:
        os.environ.pop(API_PROCESSES, None)


@contextmanager
def _shared_metrics(shared: bool) -> Iterator[str | None]:
    """With several processes, each writes its counts to files in a directory of its own (prometheus's
    multiprocess mode: set before any process makes a metric), summed by the supervisor when scraped."""
    if not shared:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="kentra-metrics-") as directory:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory  # the processes spawned inherit it
        try:
            yield directory
        finally:
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)


def _summed(kentra: Kentra, directory: str) -> Metrics:
    """The metrics of every API process (from their files) and the tenants' positions, read at a scrape."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    from gateways.observability import Metrics, TenantCollector

    metrics = Metrics(kentra)
    metrics.registry = CollectorRegistry()  # the processes' counts, not this one's (it serves no request)
    MultiProcessCollector(metrics.registry, path=directory)  # type: ignore[no-untyped-call]
    metrics.registry.register(TenantCollector(kentra))
    return metrics


@contextmanager
def _jobs_once(kentra: Kentra) -> Iterator[None]:
    """The import jobs in this process only (the API processes take none); an upload waits for its poll."""
    from gateways.import_jobs import jobs_beside

    with jobs_beside(kentra):
        yield


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
