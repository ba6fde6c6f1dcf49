"""`kentra privacy`: retention, legal holds, erasure by key deletion, and subject access."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from gateways.cli.common import TenantOption, emit, err, fail, out, platform

commands = typer.Typer(
    help="Personal data: retention, legal holds, erasure by key deletion, subject access.", no_args_is_help=True
)
BeneficiaryOption = Annotated[UUID, typer.Option("--beneficiary", "-b", help="The beneficiary's id")]


@commands.command("erase")
def privacy_erase(
    tenant: TenantOption,
    beneficiary: BeneficiaryOption,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the log)")],
    legal_ground: Annotated[
        str | None, typer.Option("--legal-ground", help="Required before the erasure date: the documented ground")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Who decided (kept in the log)")] = "cli",
) -> None:
    """Erase a beneficiary's personal data by deleting their key (refused before their erasure date
    unless --legal-ground is given). The erasure is an event; the ESF figures stay as they were."""
    with platform() as kentra:
        emit(kentra.erase(tenant, beneficiary, reason=reason, legal_ground=legal_ground, erased_by=by))


@commands.command("hold")
def privacy_hold(
    tenant: TenantOption,
    beneficiary: BeneficiaryOption,
    until: Annotated[str, typer.Option("--until", help="Last day of the hold, YYYY-MM-DD")],
    reason: Annotated[str, typer.Option("--reason", help="The case, audit or complaint")],
    by: Annotated[str, typer.Option("--by", help="Who placed it")] = "cli",
) -> None:
    """Place a legal hold: the beneficiary's data are kept at least until the day after it ends."""
    try:
        last = date.fromisoformat(until)
    except ValueError:
        fail("--until is a date YYYY-MM-DD")
    with platform() as kentra:
        casework = kentra.casework(kentra.registry.tenant(tenant).id)
        casework.place_legal_hold(beneficiary, until=last, reason=reason, recorded_by=by)
        when = casework.erasure_date(beneficiary)
        emit({"beneficiary_id": str(beneficiary), "held_until": until, "earliest_erasure": _day(when.earliest)})


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


@commands.command("due")
def privacy_due(
    tenant: TenantOption,
    erase: Annotated[bool, typer.Option("--erase", help="Erase every one listed, and report")] = False,
    reason: Annotated[str, typer.Option("--reason", help="With --erase: the reason kept in the log")] = (
        "retention period ended"
    ),
) -> None:
    """List the beneficiaries past their erasure date (JSON); with --erase, erase them (a scheduled run)."""
    from services.privacy import erasure_due

    with platform() as kentra:
        casework = kentra.casework(kentra.registry.tenant(tenant).id)
        today = casework.today()
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err) as progress:
            task = progress.add_task("ελέγχονται οι ημερομηνίες διαγραφής", total=None)
            due = erasure_due(
                casework,
                kentra.views(tenant),
                each=lambda done, total: progress.update(task, completed=done, total=total),
            )
        if not erase:
            emit({"tenant": tenant, "today": today.isoformat(), "due": due})
            return
        erased = [
            kentra.erase(tenant, UUID(item["beneficiary_id"]), reason=reason, legal_ground=None, erased_by="scheduled")
            for item in due
        ]
        emit({"tenant": tenant, "today": today.isoformat(), "erased": len(erased), "report": due})


@commands.command("export")
def privacy_export(
    tenant: TenantOption,
    beneficiary: BeneficiaryOption,
    to: Annotated[Path, typer.Option("--to", help="File to write: .json or .pdf")],
    by: Annotated[str, typer.Option("--by", help="Who asks (recorded as an access)")] = "cli",
) -> None:
    """Everything held on one beneficiary (subject access), as JSON or a Greek PDF; the export is recorded."""
    if to.suffix not in (".json", ".pdf"):
        fail("--to must end in .json or .pdf")
    from gateways.subject_access import to_pdf
    from services.privacy import subject_access

    with platform() as kentra:
        registered = kentra.registry.tenant(tenant)
        document = subject_access(
            kentra.casework(registered.id), kentra.views(registered.id), beneficiary, asked_by=by, role="operator"
        )
        if to.suffix == ".pdf":
            to.write_bytes(to_pdf(document, registered.name_el))
        else:
            to.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
        out.print(f"wrote {to}: {len(document['entries'])} entries, {len(document['accessed_by'])} recorded accesses")
