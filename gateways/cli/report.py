"""`kentra report`: a tenant's programme indicators for a period, as a CSV, XLSX or JSON file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from gateways.cli.common import TenantOption, fail, fold_with_progress, out, platform


def report(
    tenant: TenantOption,
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write")],
    format: Annotated[str, typer.Option("--format", help="csv, xlsx or json")] = "xlsx",
    structure: Annotated[str | None, typer.Option("--structure", help="One structure only")] = None,
) -> None:
    """Write a tenant's programme indicators for a period to a CSV, XLSX or JSON file."""
    if format not in ("csv", "xlsx", "json"):
        fail("--format is csv, xlsx or json")
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        fail("--from and --to are dates YYYY-MM-DD")
    if last < first:
        fail("--to is before --from")
    from gateways.reports import to_csv, to_xlsx
    from services.reporting import indicators

    with platform() as kentra:
        registered = kentra.registry.tenant(tenant)
        if structure is not None:
            registered.structure(structure)
        fold_with_progress(kentra, [tenant], rebuild=False)
        doc = {"tenant": tenant, **indicators(kentra.views(tenant), first, last, structure, bounded=False)}
        if format == "csv":
            output.write_text(to_csv(doc), encoding="utf-8")
        elif format == "xlsx":
            output.write_bytes(to_xlsx(doc, f"{registered.name_el}: δείκτες Κέντρου Κοινότητας"))
        else:
            output.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
        out.print(f"wrote {output} ({format})")
