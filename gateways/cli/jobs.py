"""`kentra jobs`: the durable jobs (imports) and the worker that takes them (issue 22, part 3)."""

from __future__ import annotations

from typing import Annotated

import typer

from gateways.cli.common import TenantOption, TenantsOption, emit, platform, tenants_of
from gateways.cli.workers import HealthPort, observe_worker, stop_on_signals, worker_log

commands = typer.Typer(help="Durable jobs (imports): run a worker, list them.", no_args_is_help=True)


@commands.command("run")
def jobs_run(
    tenant: TenantsOption = None,
    health_port: HealthPort = None,
    once: Annotated[bool, typer.Option("--once", help="Run the jobs waiting now, then stop")] = False,
) -> None:
    """Take jobs (of every tenant, or of --tenant ones) and run them until SIGTERM.

    Any number of these run side by side: each job is taken by one of them (FOR UPDATE SKIP LOCKED),
    and a job whose worker stopped renewing it for KENTRA_JOB_LEASE_SECONDS is taken by another, which
    imports the file again from its first row (recording nothing twice). On SIGTERM the job running
    is given back to the queue at the end of its batch.
    """
    from gateways.import_jobs import JobWorker
    from gateways.observability import Heartbeat

    stopping = stop_on_signals()
    with platform() as kentra:
        heartbeat = Heartbeat(max(120.0, kentra.settings.job_lease_seconds * 4))
        observe_worker(kentra, health_port, heartbeat, {})
        worker = JobWorker(kentra, tenants_of(kentra, tenant) if tenant else None, beat=heartbeat.beat)
        worker_log.info("job worker %s started", worker.name)
        if once:
            while worker.run_one(stopping):
                pass
            return
        worker.run(stopping)
        worker_log.info("job worker %s stopped", worker.name)


@commands.command("list")
def jobs_list(
    tenant: TenantOption,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="The newest this many")] = 50,
) -> None:
    """A tenant's jobs, newest first, as the API's status answers them (JSON)."""
    from gateways.import_jobs import status_of

    with platform() as kentra:
        kentra.registry.tenant(tenant)
        emit(
            [
                {**status_of(job), "attempts": job.attempts, "worker": job.worker}
                for job in kentra.jobs.of_tenant(tenant, limit)
            ]
        )
