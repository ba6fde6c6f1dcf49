"""`kentra keys`: rotate the master key without rewriting any event."""

from __future__ import annotations

from functools import partial

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from gateways.cli.common import TenantsOption, err, fail, out, platform, tenants_of

commands = typer.Typer(help="The master key: rotation without rewriting any event.", no_args_is_help=True)


@commands.command("rotate")
def keys_rotate(tenant: TenantsOption = None) -> None:
    """Re-wrap every beneficiary key (and the tenant's stable secrets) under the new master key.

    Set KENTRA_MASTER_KEY (or _FILE) to the new key and KENTRA_PREVIOUS_MASTER_KEY (or _FILE) to the
    old one. Events are not touched. Idempotent: run it again if it was cut short. Afterwards remove
    the previous key from the settings and destroy it.
    """
    from cryptography.exceptions import InvalidTag

    from infra.settings import SettingsError

    with platform() as kentra:
        try:
            for tid in tenants_of(kentra, tenant):
                with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err) as bar:
                    task = bar.add_task(f"{tid}: κλειδιά", total=None)
                    count = kentra.rotate_master_key(tid, on_batch=partial(bar.advance, task))
                out.print(f"{tid}: {count} keys re-wrapped under the new master key")
        except SettingsError as error:
            fail(str(error))
        except InvalidTag:
            fail(
                "the previous master key does not open this tenant's keys: is KENTRA_PREVIOUS_MASTER_KEY right?", code=1
            )
