"""`kentra esf submit`, `kentra esf submissions`, `kentra esf restatement`: deliveries pinned to the log.

An operator's commands (like `kentra report`): they act on the tenant's log directly, with ``--by``
named as the one who recorded the submission.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

import typer
from rich.table import Table

from gateways.cli.common import TenantOption, emit, fail, fold_with_progress, out, platform
from gateways.cli.esf import commands

__all__ = ["commands"]

JsonOption = Annotated[bool, typer.Option("--json", help="JSON on standard output instead of a table")]


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} is a date YYYY-MM-DD")


@commands.command("submit")
def esf_submit(
    tenant: TenantOption,
    operation: Annotated[str, typer.Option("--operation", help="MIS/ΟΠΣ code or programme period, e.g. 5002786")],
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD")],
    submitted_on: Annotated[
        str | None, typer.Option("--submitted-on", help="The day it was delivered (default today, Athens)")
    ] = None,
    reference: Annotated[str | None, typer.Option("--reference", help="The delivery's protocol number")] = None,
    by: Annotated[str, typer.Option("--by", help="Who delivered it (recorded with it)")] = "operator",
    command_id: Annotated[
        str | None, typer.Option("--command-id", help="Sent again, it records nothing (default: from the terms)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Record a delivery of an operation's ESF figures for a period, pinned to the log position."""
    first, last = _day(start, "--from"), _day(end, "--to")
    delivered = None if submitted_on is None else _day(submitted_on, "--submitted-on")
    from services import esf, esf_submissions

    with platform() as kentra:
        registered = kentra.registry.tenant(tenant)
        esf.checked_operation(registered, operation, first, last)  # refused before the fold
        fold_with_progress(kentra, [tenant], rebuild=False)
        casework = kentra.casework(tenant)
        key = command_id or f"cli-esf-{operation}-{first}-{last}-{delivered or casework.today()}"
        submission_id = esf_submissions.submit(
            casework,
            kentra.views(tenant),
            registered,
            operation=operation,
            start=first,
            end=last,
            submitted_on=delivered,
            reference=reference,
            command_id=key,
            recorded_by=by,
        )
        found = esf_submissions.summary(esf_submissions.one(casework, submission_id))
        if as_json:
            emit(found)
            return
        out.print(
            f"submission {found['id']}: operation {found['mis_code'] or found['operation']}, "
            f"{found['from']} to {found['to']}, figures at log position {found['position']}"
        )


@commands.command("submissions")
def esf_submissions_list(tenant: TenantOption, as_json: JsonOption = False) -> None:
    """Every submission of the tenant, newest first, and whether it still holds."""
    from services import esf_submissions

    with platform() as kentra:
        kentra.registry.tenant(tenant)
        casework = kentra.casework(tenant)
        rows = esf_submissions.listed(casework, kentra.views(tenant))
        if as_json:
            emit({"tenant": tenant, "submissions": rows})
            return
        table = Table("id", "operation", "period", "submitted on", "recorded at", "by", "status")
        for row in rows:
            table.add_row(
                row["id"],
                row["mis_code"] or row["operation"],
                f"{row['from']} – {row['to']}",
                row["submitted_on"],
                row["recorded_at"][:19],
                row["recorded_by"],
                "holds" if row["holds"] else f"restated ({row['cells_changed']} cells)",
            )
        out.print(table)


@commands.command("restatement")
def esf_restatement(
    tenant: TenantOption,
    submission: Annotated[str, typer.Argument(help="The submission's id")],
    as_json: JsonOption = False,
) -> None:
    """A submission's restatement: the cells changed since, and the events that changed them."""
    try:
        submission_id = UUID(submission)
    except ValueError:
        fail("the submission is an id (UUID)")
    from services.esf_restatement import restatement

    with platform() as kentra:
        registered = kentra.registry.tenant(tenant)
        report = restatement(kentra.casework(tenant), submission_id, pseudonym=kentra.keys(registered).pseudonym)
        if as_json:
            emit(report)
            return
        head = report["submission"]
        state = "still holds" if report["holds"] else f"restated: {len(report['changes'])} cells changed"
        code = head["mis_code"] or head["operation"]
        out.print(f"submission {head['id']} ({code}, {head['from']} to {head['to']}): {state}")
        table = Table("cell", "as submitted", "now", "events (position: event, date, reason)")
        for change in report["changes"]:
            events = "; ".join(
                f"{e['position']}: {e['event']} {e['occurred_on'] or ''} {e['reason'] or ''}".strip()
                for e in change["events"]
            )
            table.add_row(change["cell"], str(change["as_submitted"]), str(change["now"]), events)
        if report["changes"]:
            out.print(table)
