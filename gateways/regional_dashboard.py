"""The Region's dashboard in Greek words: every table labelled once, for the page, the CSV and the XLSX alike.

The document (``services.regional_dashboard``) is codes and numbers with ``None`` for a hidden cell;
here each code gets its Greek label and each hidden cell the one symbol, χ. The page, the CSV and
the XLSX all read ``labelled(doc)``, so they show the same cells in the same places, and the same
ones hidden, as the API's document.

CSV as a Greek Excel reads it (as the municipality's dashboard: UTF-8 with a byte-order mark, ``;``
between cells, a decimal comma); XLSX through openpyxl's write-only workbook, one sheet per table.
Every text cell goes through ``reports.inert``, so none can run as a formula.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from starlette.responses import Response

from domain.errors import InvalidValueError
from domain.periods import parse_period
from gateways.reports import inert
from gateways.web import charts
from gateways.web.exports import outcome_label
from gateways.web.present import code_label
from infra.bootstrap import Kentra
from services.regional_dashboard import ESF_SUM, NOT_AVAILABLE, SINCE_OPENING

HIDDEN = "χ"
PRESET_LABELS = {
    "month": "Μήνας",
    "quarter": "Τρίμηνο",
    "half": "Εξάμηνο",
    "year": "Έτος",
    SINCE_OPENING: "Από την έναρξη λειτουργίας",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

TITLES = {
    "served": "Ωφελούμενοι της περιόδου, κατά φύλο (μοναδικά άτομα ανά δήμο)",
    "people_region_wide": "Άτομα σε όλη την Περιφέρεια: μοναδικά και άθροισμα δήμων",
    "new": "Νέοι ωφελούμενοι της περιόδου, κατά φύλο",
    "served_by_age": "Ωφελούμενοι της περιόδου, κατά ηλικία κατά την είσοδο",
    "trend": "Ωφελούμενοι ανά μήνα, ανά δήμο",
    "new_by_year": "Νέοι ωφελούμενοι ανά έτος",
    "since_opening": "Ωφελούμενοι από την έναρξη λειτουργίας (νέοι ωφελούμενοι αθροισμένοι)",
    "requests_by_year": "Αιτήματα ανά έτος",
    "work": "Αιτήματα, παραπομπές, δικτύωση, εκδηλώσεις, εθελοντές",
    "rates": "Ανά 1.000 κατοίκους",
    "requests_by_category": "Αιτήματα ανά κατηγορία, οι δήμοι δίπλα-δίπλα",
    "referrals_by_destination": "Παραπομπές ανά είδος φορέα",
    "referrals_by_outcome": "Παραπομπές ανά απάντηση και έκβαση",
    "requests_by_structure": "Αιτήματα ανά δομή και φύλο",
}
ROW_HEADINGS = {
    "people_region_wide": "Μέτρηση",
    "requests_by_category": "Κατηγορία αιτήματος",
    "referrals_by_destination": "Φορέας",
    "referrals_by_outcome": "Απάντηση ή έκβαση",
    "requests_by_structure": "Δήμος: δομή",
}
TREND_BY_YEAR = "Ωφελούμενοι ανά έτος, ανά δήμο"
COLUMNS = {
    "female": "Γυναίκες",
    "male": "Άνδρες",
    "non_binary": "Μη δυαδικό",
    "unknown": "Άγνωστο",
    "total": "Σύνολο",
    "under_18": "Κάτω των 18",
    "18_29": "18 έως 29",
    "30_54": "30 έως 54",
    "55_64": "55 έως 64",
    "65_plus": "65 και άνω",
    "requests": "Αιτήματα",
    "referrals": "Παραπομπές",
    "networking_meetings": "Συναντήσεις δικτύωσης",
    "community_events": "Εκδηλώσεις",
    "volunteers": "Εγγραφές εθελοντών",
    "population": "Κάτοικοι",
    "served_per_1000": "Ωφελούμενοι ανά 1.000 κατοίκους",
    "requests_per_1000": "Αιτήματα ανά 1.000 κατοίκους",
}
ROWS = {
    "distinct": "Μοναδικά άτομα σε όλη την Περιφέρεια",
    "esf_sum": "Άθροισμα των δήμων (όπως αθροίζει το ΕΚΤ ανά πράξη)",
}
ESF_SUM_LABEL = "Σύνολο Περιφέρειας (άθροισμα δήμων, ΕΚΤ)"
STRUCTURE_KINDS = {"centre": "Κέντρα Κοινότητας", "roma-branch": "Παραρτήματα Ρομά"}
# the catalogue whose Greek labels name a breakdown's rows
CATALOGUE = {
    "requests_by_category": "category",
    "referrals_by_destination": "agency",
    "referrals_by_outcome": "outcome",
}


@dataclass(frozen=True)
class Labelled:
    """One table as people read it: its title, column and row labels, and each cell as shown."""

    id: str
    title: str
    row_heading: str
    columns: list[str]
    rows: list[tuple[str, list[str]]]
    values: list[list[Any]]  # the cells as numbers (hidden: None, absent: "-"), for charts and XLSX
    chart: str | None


def shown(value: Any) -> str:
    """A cell as the page and the CSV show it: χ hidden, «—» no such figure, a decimal comma."""
    if value is None:
        return HIDDEN
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def _who(doc: dict[str, Any], key: str) -> str:
    if key == ESF_SUM:
        return ESF_SUM_LABEL
    for m in doc["municipalities"]:
        if m["tenant"] == key:
            codes = ", ".join(f"{o['code']}" for o in m["operations"])
            return f"{m['name_el']} (πράξη ΟΠΣ {codes})" if codes else str(m["name_el"])
    return key


def _structure(doc: dict[str, Any], key: str, names: dict[str, str]) -> str:
    who, _, structure = key.partition("/")
    if who == ESF_SUM:
        return f"{ESF_SUM_LABEL}: {STRUCTURE_KINDS.get(structure, structure)}"
    return f"{_who(doc, who)}: {names.get(key, structure)}"


def _column(doc: dict[str, Any], table_id: str, key: str) -> str:
    if table_id in CATALOGUE:
        return _who(doc, key)
    if key in COLUMNS:
        return COLUMNS[key]
    try:
        return parse_period(key).label()
    except ValueError:
        return key


def _row(doc: dict[str, Any], table_id: str, key: str, names: dict[str, str]) -> str:
    if table_id in CATALOGUE:
        catalogue = CATALOGUE[table_id]
        return outcome_label(key, "el") if catalogue == "outcome" else code_label(key, catalogue)
    if table_id == "requests_by_structure":
        return _structure(doc, key, names)
    return ROWS.get(key) or _who(doc, key)


def labelled(doc: dict[str, Any], structure_names: dict[str, str] | None = None) -> list[Labelled]:
    """Every table of the document with Greek labels, in the document's order (page, CSV, XLSX)."""
    names = structure_names or {}
    found = []
    for table in doc["tables"]:
        title = TITLES[table["id"]]
        if table["id"] == "trend" and doc["period"] == "since-opening":
            title = TREND_BY_YEAR
        found.append(
            Labelled(
                id=table["id"],
                title=title,
                row_heading=ROW_HEADINGS.get(table["id"], "Δήμος"),
                columns=[_column(doc, table["id"], c) for c in table["columns"]],
                rows=[(_row(doc, table["id"], r["key"], names), [shown(v) for v in r["cells"]]) for r in table["rows"]],
                values=[list(r["cells"]) for r in table["rows"]],
                chart=table.get("chart"),
            )
        )
    return found


def heading_lines(doc: dict[str, Any], region_name: str, period_label: str) -> list[str]:
    return [
        f"{region_name}: περιφερειακοί δείκτες Κέντρων Κοινότητας",
        f"Περίοδος: {period_label}",
        f"{HIDDEN}: κρυφό κελί (1 έως 4 άτομα, ή κελί από το οποίο θα υπολογιζόταν ένα τέτοιο). "
        f"{NOT_AVAILABLE}: δεν υπάρχει το στοιχείο.",
    ]


def to_csv(tables: list[Labelled], heading: list[str]) -> bytes:
    """UTF-8 with BOM, ``;``-separated: the heading, then each table with its title and column row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    for line in heading:
        writer.writerow([inert(line)])
    for table in tables:
        writer.writerow([])
        writer.writerow([inert(table.title)])
        writer.writerow([inert(table.row_heading), *(inert(c) for c in table.columns)])
        writer.writerows([inert(label), *(inert(c) for c in cells)] for label, cells in table.rows)
    return buffer.getvalue().encode("utf-8-sig")


def _sheet_name(index: int, title: str) -> str:
    # a sheet's name: at most 31 characters, none of []:*?/\
    clean = "".join(ch for ch in title if ch not in "[]:*?/\\")
    return f"{index + 1}. {clean}"[:31]


def to_xlsx(tables: list[Labelled], heading: list[str]) -> bytes:
    """One sheet per table: the heading, the title, the columns, then the rows (numbers as numbers, χ as text)."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for index, table in enumerate(tables):
        sheet = workbook.create_sheet(_sheet_name(index, table.title))
        sheet.column_dimensions["A"].width = 60
        for line in heading:
            sheet.append([inert(line)])
        title = WriteOnlyCell(sheet, value=inert(table.title))
        title.font = Font(bold=True, size=13)
        sheet.append([title])
        header = []
        for text in [table.row_heading, *table.columns]:
            cell = WriteOnlyCell(sheet, value=inert(text))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for (label, cells), values in zip(table.rows, table.values, strict=True):
            sheet.append(
                [
                    inert(label),
                    *(v if isinstance(v, int | float) else inert(c) for c, v in zip(cells, values, strict=True)),
                ]
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _numbers(values: list[Any]) -> list[float]:
    """A chart's points: a hidden cell (or one that does not exist) is a gap, never a zero."""
    return [float(v) if isinstance(v, int | float) else math.nan for v in values]


def chart(table: Labelled, described_by: str) -> str:
    """The table as an SVG chart, drawn here: lines over time, or bars of the municipalities side by side."""
    figure = Figure(figsize=(7.5, 3.2 if table.chart == "lines" else max(3.0, 0.32 * len(table.rows))))
    axes = figure.subplots()
    palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#6B6B6B"]
    if table.chart == "lines":
        for n, ((label, _), values) in enumerate(zip(table.rows, table.values, strict=True)):
            points = range(len(table.columns))  # by position: a column whose every point is hidden keeps its place
            axes.plot(points, _numbers(values), marker="o", color=palette[n % len(palette)], label=label)
        axes.set_xticks(range(len(table.columns)), table.columns)
        axes.tick_params(axis="x", labelrotation=45, labelsize=7)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        keys = [label for label, _ in table.rows]
        width = 0.8 / max(1, len(table.columns))
        for n, column in enumerate(table.columns):
            drawn = [(i, v) for i, v in enumerate(_numbers([row[n] for row in table.values])) if not math.isnan(v)]
            axes.barh(  # a hidden cell draws no bar at all: a zero-length one would read as 0
                [i + n * width for i, _ in drawn],
                [v for _, v in drawn],
                height=width,
                color=palette[n % len(palette)],
                label=column,
            )
        axes.set_yticks([i + width * (len(table.columns) - 1) / 2 for i in range(len(keys))], keys)
        axes.invert_yaxis()
        axes.tick_params(axis="y", labelsize=7)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # beside, not over
    axes.spines[["top", "right"]].set_visible(False)
    description = f"{table.title}. Τα ίδια στοιχεία, με τα κρυφά κελιά ως {HIDDEN}, είναι στον πίνακα που ακολουθεί."
    return charts.titled_svg(figure, table.title, description, described_by)


def period_label(code: str) -> str:
    return PRESET_LABELS[SINCE_OPENING] if code == SINCE_OPENING else parse_period(code).label()


def structure_names(kentra: Kentra, region: str) -> dict[str, str]:
    return {f"{t.id}/{s.id}": s.name_el for t in kentra.registry.tenants_of(region) for s in t.structures}


def download(kentra: Kentra, region: str, doc: dict[str, Any], fmt: str, table: str | None) -> Response:
    """The labelled tables (one of them, with ``table``) as a CSV or XLSX attachment named by region and period."""
    if fmt not in ("csv", "xlsx"):
        raise InvalidValueError("format is csv or xlsx", field="format")
    every = labelled(doc, structure_names(kentra, region))
    found = [t for t in every if table in (None, t.id)]
    if not found:
        raise InvalidValueError(
            f"no table {table!r} for this period: one of {', '.join(t.id for t in every)}", field="table"
        )
    heading = heading_lines(doc, kentra.registry.region(region).name_el, period_label(doc["period"]))
    name = f"kentra-{region}-{doc['period']}" + (f"-{found[0].id}" if table else "")
    if fmt == "xlsx":
        body, media = to_xlsx(found, heading), XLSX
    else:
        body, media = to_csv(found, heading), "text/csv; charset=utf-8"
    disposition = f'attachment; filename="{name}.{fmt}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})
