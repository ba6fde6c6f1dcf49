"""`kentra migrate`: the only command that runs DDL, as the schema owner (issue 22, part 5)."""

from __future__ import annotations

from typing import Annotated

import typer

from gateways.cli.common import err, fail, out, platform


def migrate(
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Change nothing: wait (KENTRA_SCHEMA_WAIT_SECONDS) until the schema is migrated; exit 1 if not",
        ),
    ] = False,
) -> None:
    """Create or upgrade the platform's schema, every tenant's store and every Region's roll-up (idempotent).

    Runs as the owner role (KENTRA_DATABASE_OWNER_URL), once per release before the API and workers,
    which run no DDL and wait for it. `--check` is what their init containers run: it needs no owner.
    """
    from infra.schema_version import SchemaNotReadyError, wait_for_schema

    with platform() as kentra:
        if check:
            try:
                wait_for_schema(kentra, rollups=True)
            except SchemaNotReadyError as error:
                fail(str(error), code=1)
            out.print("schema ready")
            return
        settings = kentra.settings
        if not settings.embedded and settings.database_owner_url is None:
            fail(
                "KENTRA_DATABASE_OWNER_URL is not set: `kentra migrate` runs the DDL as the schema owner "
                "(the API and workers never hold that URL)",
                code=1,
            )
        kentra.provision_platform()
        err.print("platform schema: up to date")
        created: list[str] = []
        current: list[str] = []
        tenants = kentra.registry.tenants
        for n, tenant in enumerate(tenants, start=1):
            made = kentra.provision(tenant.id)
            kentra.provision_rollup(tenant.id)
            (created if made else current).append(tenant.id)
            err.print(f"[{n}/{len(tenants)}] {tenant.id}: {'created' if made else 'up to date'} (store and roll-up)")
        out.print(
            f"migrated: platform, {len(tenants)} tenants ({len(created)} created, {len(current)} up to date), "
            f"{len(tenants)} roll-ups"
        )
