"""`kentra backup` and `kentra restore`: every tenant's logs, vaults, views and users, verified on the way back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateways.cli.common import emit, fail, platform


def backup_command(
    to: Annotated[Path, typer.Option("--to", help="A new, empty directory")],
) -> None:
    """Sign each tenant's chain head, then copy the event logs, vaults, views and users (not the keys).

    SQLite files are copied with SQLite's online backup; PostgreSQL with pg_dump. A manifest keeps
    every file's SHA-256 and each tenant's signed head.
    """
    from infra.backup import BackupError, backup

    with platform() as kentra:
        try:
            manifest = backup(kentra, to)
        except BackupError as error:
            fail(str(error), code=1)
        emit({"backup": str(to), "store": manifest["store"], "tenants": manifest["tenants"]})


def restore_command(
    source: Annotated[Path, typer.Option("--from", help="A directory written by `kentra backup`")],
) -> None:
    """Restore a backup into an empty store, then verify every tenant's chain against the backup's heads.

    Needs the same master key as when the backup was made. Exit 1 if anything does not verify.
    """
    from infra.backup import BackupError, restore

    with platform() as kentra:
        try:
            manifest = restore(kentra, source)
        except BackupError as error:
            fail(str(error), code=1)
        kentra.provision_platform()
        results, broken = {}, []
        for tenant_id, head in manifest["tenants"].items():
            kentra.provision(tenant_id)  # roles, triggers and grants: a dump carries none of them
            chain = kentra.audit_chain(tenant_id)
            verdict = chain.verify()
            matches = verdict.ok and chain.hash_at(head["position"]) == head["hash"]
            results[tenant_id] = {**verdict.as_dict(), "backup_head": head["position"], "matches_backup": matches}
            if not matches:
                broken.append(tenant_id)
        emit(results)
        if broken:
            fail(
                f"restored, but these tenants do not verify: {', '.join(broken)} (is the master key the same?)", code=1
            )
