"""`kentra projections`: the read models follow each tenant's log, are rebuilt, and say their lag."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from gateways.cli.common import TenantsOption, emit, fold_with_progress, platform, tenants_of
from gateways.cli.workers import HealthPort, Shard, observe_worker, stop_on_signals, worker_log

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
    """Follow this replica's share of the tenants' logs and keep their read models and audit chain current.

    Any number of replicas share the tenants through leases (each tenant followed by one at a time;
    a stopped or killed replica's tenants are taken over within KENTRA_WORKER_LEASE_SECONDS). On
    PostgreSQL a follower wakes when something is recorded; ``--interval`` is then only a safety poll.
    Signs a checkpoint of each tenant's chain when its head moved and the last one is older than
    the interval. Stops on SIGTERM or Ctrl-C, giving its leases back.
    """
    from gateways.observability import Heartbeat

    stopping = stop_on_signals()
    with platform() as kentra:
        heartbeat = Heartbeat()
        observe_worker(kentra, health_port, heartbeat, {})
        shard = Shard(kentra, "projections", stopping, interval=interval)
        every = timedelta(seconds=checkpoint_every or kentra.settings.checkpoint_interval_seconds)
        worker_log.info("sharing %d tenants with the other projections replicas", len(shard.tenant_ids))
        try:
            while not stopping.is_set():
                heartbeat.beat()
                folded = 0
                for tid in shard.visit():
                    if not shard.holds(tid):  # lost (or about to) since the round began: the next holder's
                        continue
                    # Positions move under a lock from where they were read (projections/runner.py), so a
                    # replica paused past its lease folds nothing twice: it would only repeat a read.
                    folded += kentra.views(tid).catch_up(limit=10_000)
                    folded += kentra.audit_chain(tid).extend()
                    chain = kentra.audit_chain(tid)
                    if chain.checkpoint_due(every):
                        chain.checkpoint()
                if once and folded == 0:
                    break
                if folded:
                    shard.again()
                else:
                    shard.wait()
        finally:
            shard.close()
