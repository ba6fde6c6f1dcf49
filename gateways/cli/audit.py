"""`kentra audit`: the hash chain over each tenant's log: extend, verify, sign, export."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gateways.cli.common import TenantOption, TenantsOption, emit, fail, out, platform, tenants_of

if TYPE_CHECKING:
    from projections.audit import Checkpoint

commands = typer.Typer(help="Tamper evidence: the hash chain over each tenant's log.", no_args_is_help=True)


@commands.command("chain")
def audit_chain(tenant: TenantsOption = None) -> None:
    """Extend each tenant's hash chain over the events recorded since (also done by `projections run`)."""
    with platform() as kentra:
        for tid in tenants_of(kentra, tenant):
            out.print(f"{tid}: {kentra.audit_chain(tid).extend()} events chained")


@commands.command("verify")
def audit_verify(
    tenant: Annotated[str | None, typer.Option("--tenant", "-t", help="Verify this tenant's live log")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Verify an export offline")] = None,
    public_key: Annotated[str | None, typer.Option("--public-key", help="With --file: the tenant's key (hex)")] = None,
) -> None:
    """Verify a tenant's live chain, or an exported file offline; exit 1 naming where it breaks."""
    if (tenant is None) == (file is None):
        fail("give --tenant (the live log) or --file (an export), not both")
    if file is not None:
        from projections.audit_export import ExportInvalidError, verify_lines

        if public_key is None:
            fail("--file needs --public-key: the key the municipality published, not the one in the file")
        if not file.is_file():
            fail(f"no such file: {file}")
        try:
            with file.open(encoding="utf-8") as lines:
                emit(verify_lines(lines, public_key))
        except ExportInvalidError as error:
            fail(str(error), code=1)
        return
    from kafka.errors import KafkaError

    from gateways.kafka.checkpoints import read_published

    with platform() as kentra:
        kentra.registry.tenant(tenant or "")
        servers = kentra.settings.kafka_bootstrap_servers
        published: list[Checkpoint] = []
        if servers:  # the copies outside the database: a deleted checkpoint is still on the topic
            try:
                published = read_published(
                    kentra.kafka_reader(), tenant or "", topic=kentra.settings.kafka_checkpoint_topic
                )
            except (KafkaError, TimeoutError) as error:
                fail(f"cannot read the checkpoints topic ({type(error).__name__}); is the broker up?", code=1)
        verdict = kentra.audit_chain(tenant or "").verify(published)
        emit({"tenant": tenant, **verdict.as_dict(), "published_checkpoints": len(published) if servers else None})
        if not verdict.ok:
            fail(f"the chain breaks at position {verdict.first_broken}: {verdict.problem}", code=1)


@commands.command("checkpoint")
def audit_checkpoint(tenant: TenantsOption = None) -> None:
    """Chain what is recorded and sign each tenant's head now (the gateway publishes it)."""
    with platform() as kentra:
        emit([kentra.audit_chain(tid).checkpoint().as_dict() for tid in tenants_of(kentra, tenant)])


@commands.command("export")
def audit_export(tenant: TenantOption, to: Annotated[Path, typer.Option("--to", help="File to write")]) -> None:
    """Write the tenant's chained events with their hashes and a signed checkpoint (refused if broken)."""
    from projections.audit_export import ExportInvalidError, export_lines

    with platform() as kentra:
        registered = kentra.registry.tenant(tenant)
        chain = kentra.audit_chain(tenant)
        chain.extend()
        verdict = chain.verify()
        if not verdict.ok:
            fail(f"the chain breaks at position {verdict.first_broken}: {verdict.problem}; not exported", code=1)
        earlier = chain.checkpoints()
        final = chain.checkpoint()
        partial = to.with_name(to.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8") as handle:
                for line in export_lines(registered.id, chain.stored_events(), earlier, final):
                    handle.write(line + "\n")
        except ExportInvalidError as error:
            partial.unlink(missing_ok=True)
            fail(f"{error}; not exported", code=1)
        partial.replace(to)  # a reader never sees half a file
        out.print(
            f"wrote the log up to position {final.position} and {len(earlier) + 1} checkpoints to {to};"
            f" public key {final.public_key}"
        )


@commands.command("public-key")
def audit_public_key(tenant: TenantOption) -> None:
    """The tenant's checkpoint public key (hex), for auditors to verify exports with."""
    from projections.audit import public_key_hex

    with platform() as kentra:
        print(public_key_hex(kentra.keys(kentra.registry.tenant(tenant)).signing_key()))
