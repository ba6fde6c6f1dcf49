"""`kentra projections`: the read models follow each tenant's log, are rebuilt, and say their lag."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from gateways.cli.common import TenantsOption, emit, fold_with_progress, platform, tenants_of
from gateways.cli.workers import HealthPort, observe_worker, stop_on_signals, worker_log

commands = typer.Typer(help="Read models: follow the logs, rebuild, lag.", no_args_is_help=True)


@commands.command("rebuild")
def projections_rebuild(tenant: TenantsOption = None) -> None:
    """Empty the read models and fold each tenant's whole log again, with a progress bar."""
    with platform() as kentra:
        fold_with_progress(kentra, tenants_of(kentra, tenant), rebuild=True)


@commands.command("status")
def projections_status() -> None:
    """How far each tenant's read models are behind its log (JSON)."""
    with platform() as kentra:
        emit({tid: kentra.views(tid).lag() for tid in tenants_of(kentra, None)})


@commands.command("run")
def projections_run(
    interval: Annotated[float, typer.Option(help="Seconds to wait when every tenant is up to date")] = 1.0,
    once: Annotated[bool, typer.Option("--once", help="Catch up once and exit")] = False,
    checkpoint_every: Annotated[
        float | None,
        typer.Option(
            min=1, help="Seconds between signed audit checkpoints [default: KENTRA_CHECKPOINT_INTERVAL_SECONDS]"
        ),
    ] = None,
    health_port: HealthPort = None,
) -> None:
    """Follow every tenant's log and keep the read models and audit chain current, until stopped.

    Signs a checkpoint of each tenant's chain when its head moved and the last one is older than
    the interval. Stops on SIGTERM or Ctrl-C.
    """
    from gateways.observability import Heartbeat

    stopping = stop_on_signals()
    with platform() as kentra:
        heartbeat = Heartbeat()
        observe_worker(kentra, health_port, heartbeat, {})
        tenant_ids = tenants_of(kentra, None)
        every = timedelta(seconds=checkpoint_every or kentra.settings.checkpoint_interval_seconds)
        worker_log.info("following %d tenants", len(tenant_ids))
        while not stopping.is_set():
            heartbeat.beat()
            folded = sum(kentra.views(tid).catch_up(limit=10_000) for tid in tenant_ids)
            folded += sum(kentra.audit_chain(tid).extend() for tid in tenant_ids)
            for tid in tenant_ids:
                chain = kentra.audit_chain(tid)
                if chain.checkpoint_due(every):
                    chain.checkpoint()
            if once and folded == 0:
                break
            if folded == 0:
                stopping.wait(interval)
