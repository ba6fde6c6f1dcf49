"""`kentra people`: the indexes staff search people by."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from gateways.cli.common import emit, err, platform, tenants_of

commands = typer.Typer(help="People: the blind indexes staff search them by.", no_args_is_help=True)


@commands.command("reindex")
def people_reindex(
    tenant: Annotated[
        list[str] | None, typer.Option("--tenant", "-t", help="Tenant id, e.g. sofades (repeat; none: every tenant)")
    ] = None,
) -> None:
    """Give every person exactly the search indexes of their current details (surname prefixes, birth
    date, names): after an upgrade that adds a kind of index, or to repair one. Safe to run again: a
    second run changes nothing. Prints how many index rows were added and removed (never a name)."""
    from services.people_reindex import reindex

    with platform() as kentra:
        report = []
        for tenant_id in tenants_of(kentra, tenant):
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err) as bar:
                task = bar.add_task(f"{tenant_id}: ευρετήρια αναζήτησης", total=None)
                done = reindex(
                    kentra.casework(tenant_id),
                    kentra.views(tenant_id),
                    each=lambda n, total, task=task: bar.update(task, completed=n, total=total),  # type: ignore[misc]
                )
            report.append({"tenant": tenant_id, **done})
        emit(report)
