"""`kentra import`: historical records from CSV or XLSX files, and the empty templates to fill in."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text
from typer.core import TyperGroup

from domain.errors import DomainError
from gateways.cli.common import TenantOption, emit, err, fail, out, platform
from services.importing import LAYOUTS  # the kinds name the --kind choices in the help


class _ImportGroup(TyperGroup):
    """`kentra import --tenant T FILE...` runs an import; `kentra import template …` writes a template."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return list(super().parse_args(ctx, args))


commands = typer.Typer(
    cls=_ImportGroup,
    help="Import historical records from CSV or XLSX (layouts: docs/import.md).",
    no_args_is_help=True,
)


class _RowRate(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed or 0:,.0f} γραμμές/s")


@commands.command("run")
def import_run(
    tenant: TenantOption,
    files: Annotated[list[Path], typer.Argument(help="CSV or XLSX files; people first, whatever the order given")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate everything, record nothing")] = False,
    kind: Annotated[str | None, typer.Option("--kind", help="The kind, if the header cannot tell it")] = None,
    report: Annotated[Path, typer.Option("--report", help="Where the rejected rows are written")] = Path(
        "import-report.csv"
    ),
) -> None:
    """Import rows as events with their original dates; re-running records nothing new; a changed
    row becomes a correction; rejected rows go to the report (line, field, reason in Greek and English)."""
    from gateways.importing import Limits, Report, check_file, checksum, kind_of
    from gateways.importing import rows as import_rows
    from services.importing import ORDER, Importer

    if kind is not None and kind not in LAYOUTS:
        fail(f"--kind is one of {', '.join(LAYOUTS)}")
    for path in files:
        if not path.is_file():
            fail(f"no such file: {path}")
    with platform() as kentra:
        casework = kentra.casework(kentra.registry.tenant(tenant).id)
        limits = Limits.of(kentra.settings)
        try:
            for path in files:  # every file within the limits before a row of any is recorded
                check_file(path, limits)
            plan = sorted(
                ((LAYOUTS[kind] if kind else kind_of(path, limits), path) for path in files),
                key=lambda pair: ORDER.index(pair[0].kind),
            )
        except DomainError as error:
            fail(error.message)
        written = Report(report)
        importer = Importer(casework, on_problem=written.add)
        summaries = []
        try:
            columns = (TextColumn("{task.description:<32}"), MofNCompleteColumn(), _RowRate(), TimeElapsedColumn())
            with Progress(*columns, console=err) as progress:
                for layout, path in plan:
                    written.file = path.name
                    task = progress.add_task(f"{path.name} ({layout.el})", total=None)
                    summary = importer.run(
                        layout,
                        import_rows(path, layout, limits),
                        source=path.name,
                        checksum=checksum(path),
                        dry_run=dry_run,
                        on_rows=partial(progress.advance, task),
                    )
                    summaries.append({"file": path.name, **summary.as_dict()})
        except DomainError as error:
            fail(error.message)
        finally:
            written.close()
        emit({"dry_run": dry_run, "files": summaries, "report": str(report), "rejected_rows_reported": written.count})


@commands.command("template")
def import_template(
    kind: Annotated[str, typer.Option("--kind", help=" | ".join(LAYOUTS))],
    fmt: Annotated[str, typer.Option("--format", help="xlsx or csv")] = "xlsx",
    lang: Annotated[str, typer.Option("--lang", help="el (Greek headers) or en")] = "el",
    to: Annotated[Path | None, typer.Option("--to", help="File to write [default: <kind>.<format>]")] = None,
) -> None:
    """Write an empty file with the kind's columns and one example row."""
    if kind not in LAYOUTS or fmt not in ("xlsx", "csv") or lang not in ("el", "en"):
        fail(f"--kind is one of {', '.join(LAYOUTS)}; --format xlsx or csv; --lang el or en")
    from gateways.importing import template as import_template_bytes

    target = to or Path(f"{kind}.{fmt}")
    target.write_bytes(import_template_bytes(kind, fmt, lang))
    out.print(f"wrote {target}")
