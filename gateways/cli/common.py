"""What every command shares: the platform, how errors end a command, JSON out, the common options.

Nothing here imports the platform at module level: ``platform()`` builds it when a command runs,
so that `kentra --help` and `kentra version` start without the stores, the web stack or Kafka.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from domain.errors import DomainError

if TYPE_CHECKING:
    from infra.bootstrap import Kentra

out = Console()
err = Console(stderr=True)

TenantOption = Annotated[str, typer.Option("--tenant", "-t", help="Tenant id, e.g. sofades")]
TenantsOption = Annotated[list[str] | None, typer.Option("--tenant", "-t", help="Only these tenants")]
ByOption = Annotated[str, typer.Option("--by", help="Who asks (recorded in the tenant's access log)")]


def fail(message: str, code: int = 2) -> NoReturn:
    """Print the error on standard error and end the command with ``code`` (2: bad input)."""
    err.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


@contextmanager
def platform() -> Iterator[Kentra]:
    """The platform from the settings, closed afterwards; its refusals end the command as errors."""
    from infra.bootstrap import TenantNotProvisionedError, bootstrap
    from infra.schema_version import SchemaNotReadyError
    from infra.settings import Settings, SettingsError
    from infra.tenant_registry import RegistryFileError

    try:
        kentra = bootstrap(Settings.load())
    except (SettingsError, RegistryFileError) as error:
        fail(str(error))
    try:
        yield kentra
    except TenantNotProvisionedError as error:
        fail(str(error))
    except SchemaNotReadyError as error:  # `kentra migrate` has not run: what is missing, and what to run
        fail(str(error), code=1)
    except DomainError as error:
        fail(error.message)
    finally:
        kentra.close()


def emit(data: Any) -> None:
    """Write ``data`` to standard output as indented JSON (Greek as is)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def tenants_of(kentra: Kentra, tenant: list[str] | None) -> list[str]:
    """The tenants asked for (every one if none), each known, keeping those that have a store."""
    ids = tenant or [t.id for t in kentra.registry.tenants]
    for tid in ids:
        kentra.registry.tenant(tid)
    return [tid for tid in ids if kentra.is_provisioned(tid)]


def fold_with_progress(kentra: Kentra, tenant_ids: list[str], *, rebuild: bool) -> None:
    """Bring each tenant's read models up to its log (or rebuild them), with a progress bar on stderr."""
    columns = (
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("events"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err) as progress:
        for tid in tenant_ids:
            views = kentra.views(tid)
            total = views.head() if rebuild else views.head() - views.position()
            task = progress.add_task(f"{tid} (δείκτες)", total=max(total, 0))

            def step(n: int, task: TaskID = task) -> None:
                progress.advance(task, n)

            if rebuild:
                views.rebuild(on_batch=step)
            else:
                views.catch_up(on_batch=step)
