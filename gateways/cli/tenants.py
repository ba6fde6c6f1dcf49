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
    """List the tenants with their region, programme and structures."""
    from infra.settings import Settings, SettingsError
    from infra.tenant_registry import RegistryFileError, load_registry

    try:
        registry = load_registry(Settings.load().tenants_file)
    except (SettingsError, RegistryFileError) as error:
        fail(str(error))
    if as_json:
        emit([t.model_dump(mode="json", exclude={"reported"}) for t in registry.tenants])
        return
    table = Table("id", "Δήμος", "region", "programme (code)", "opened", "structures")
    for t in registry.tenants:
        programme = t.programmes[0]
        code = f"{programme.period} ({programme.code_kind} {programme.code})" if programme.code else programme.period
        table.add_row(t.id, t.name_el, t.region, code, t.opened or "—", ", ".join(s.id for s in t.structures))
    out.print(table)


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
