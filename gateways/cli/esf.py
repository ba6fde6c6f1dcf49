"""`kentra esf`: an operation's ESF delivery as a file (`report`); submissions in esf_submissions.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from gateways.cli.common import TenantOption, fail, fold_with_progress, out, platform

commands = typer.Typer(help="ESF delivery to the managing authority, per operation.", no_args_is_help=True)
FORMATS = ("xlsx", "csv", "json")
PARTS = ("indicators", "participants")


@commands.command("report")
def esf_report(
    tenant: TenantOption,
    operation: Annotated[str, typer.Option("--operation", help="MIS/ΟΠΣ code or programme period, e.g. 5002786")],
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write")],
    format: Annotated[str, typer.Option("--format", help="xlsx, csv or json")] = "xlsx",
    part: Annotated[
        str | None, typer.Option("--part", help="indicators or participants (a CSV is one part, indicators by default)")
    ] = None,
    structure: Annotated[str | None, typer.Option("--structure", help="One structure only")] = None,
) -> None:
    """Write an operation's ESF delivery (indicator table, participant file) for a period to a file."""
    if format not in FORMATS:
        fail("--format is xlsx, csv or json")
    if part is not None and part not in PARTS:
        fail("--part is indicators or participants")
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        fail("--from and --to are dates YYYY-MM-DD")
    from gateways import esf_files
    from services import esf

    with platform() as kentra:  # an unknown operation or a period outside it ends here, as an error
        registered = kentra.registry.tenant(tenant)
        esf.checked_operation(registered, operation, first, last)  # refused before the views are folded
        fold_with_progress(kentra, [tenant], rebuild=False)
        doc = esf.delivery(
            kentra.views(tenant), registered, operation, first, last, keys=kentra.keys(registered), structure=structure
        )
        output.write_bytes(esf_files.content(doc, format, part or ("indicators" if format == "csv" else None)))
        people, code = len(doc["people"]), doc["operation"]["code"] or doc["operation"]["period"]
        out.print(f"wrote {output} ({format}): operation {code}, {doc['from']} to {doc['to']}, {people} participants")
