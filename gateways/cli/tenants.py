"""`kentra tenants`: the municipalities in the tenants file, and a store for each."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gateways.cli.common import emit, fail, out, platform

commands = typer.Typer(help="The municipalities (tenants).", no_args_is_help=True)


@commands.command("list")
def tenants_list(as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False) -> None:
    """List the tenants with their region and structures, then each tenant's ESF operations."""
    from infra.settings import Settings, SettingsError
    from infra.tenant_registry import RegistryFileError, load_registry
    from services.esf import operations

    try:
        registry = load_registry(Settings.load().tenants_file)
    except (SettingsError, RegistryFileError) as error:
        fail(str(error))
    if as_json:
        emit(
            [{**t.model_dump(mode="json", exclude={"reported"}), "operations": operations(t)} for t in registry.tenants]
        )
        return
    table = Table("id", "Δήμος", "region", "opened", "structures")
    for t in registry.tenants:
        table.add_row(t.id, t.name_el, t.region, t.opened or "—", ", ".join(s.id for s in t.structures))
    out.print(table)
    # One small two-column table per operation: the titles and axes are long, and read whole.
    for t in registry.tenants:
        for o in operations(t):
            budget = o["budget_eur"] or "—"
            if o["budget_amended_eur"]:
                budget = f"{budget} → {o['budget_amended_eur']} ({o['budget_amendment'] or '—'})"
            ops = Table("", "", show_header=False, title=f"{t.id}: operation {o['period']}", title_justify="left")
            for label, value in (
                ("programme", o["programme"]),
                (o["code_kind"] or "MIS/ΟΠΣ", o["code"]),
                ("title", o["title"]),
                ("from", o["from"]),
                ("to", o["to"]),
                ("budget €", budget),
                ("priority axis", o["priority_axis"]),
            ):
                ops.add_row(label, value or "—")
            out.print(ops)


@commands.command("validate")
def tenants_validate(
    file: Annotated[Path | None, typer.Argument(help="Defaults to KENTRA_TENANTS_FILE")] = None,
) -> None:
    """Check a tenants file without changing anything."""
    from infra.settings import Settings, SettingsError
    from infra.tenant_registry import RegistryFileError, load_registry

    try:
        registry = load_registry(file or Settings.load().tenants_file)
    except (SettingsError, RegistryFileError) as error:
        fail(str(error))
    out.print(f"ok: {len(registry.tenants)} tenants in {len(registry.regions)} regions")


@commands.command("sync")
def tenants_sync() -> None:
    """Create the store of every tenant in the tenants file that has none yet (idempotent)."""
    with platform() as kentra:
        kentra.provision_platform()
        for tenant in kentra.registry.tenants:
            created = kentra.provision(tenant.id)
            kentra.provision_rollup(tenant.id)
            out.print(f"{tenant.id}: {'created' if created else 'up to date'}")
