"""The dashboard's downloads as a Greek office reads them: every code by its Greek label, dates dd/mm/yyyy.

CSV for a Greek Excel: UTF-8 with a byte-order mark (without it Excel reads the file as Windows-1253
and the Greek turns to mojibake) and ``;`` between cells (a Greek Excel's list separator: the comma
is its decimal sign, so a comma-separated file opens as one column). XLSX through openpyxl's
write-only workbook, which streams rows instead of building the sheet in memory.

The API's downloads (``gateways.reports``) keep their codes and comma: programs read those.
Every text cell goes through ``reports.inert``, so none can run as a formula in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from starlette.responses import Response

from domain.tenants import Tenant
from gateways.reports import inert
from gateways.web.present import code_label, month_name, shown_date

HEADINGS = ["Ενότητα", "Στοιχείο", "Γυναίκες", "Άνδρες", "Μη δυαδικό", "Άγνωστο", "Σύνολο"]
GENDER_KEYS = ("female", "male", "non_binary", "unknown", "total")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _row(section: str, key: str, counts: dict[str, Any]) -> list[Any]:
    return [section, key, *(counts.get(g, "") for g in GENDER_KEYS)]


def _structure(tenant: Tenant, code: str) -> str:
    named = {s.id: s.name_el for s in tenant.structures}
    return str(named.get(code, code))


def rows(doc: dict[str, Any], tenant: Tenant) -> Iterator[list[Any]]:
    """The indicators document as rows of Greek words and counts, in the order the dashboard shows them."""
    period = f"{shown_date(doc['from'])} – {shown_date(doc['to'])}"
    served = doc["beneficiaries_served"]
    yield _row("Μοναδικοί ωφελούμενοι στην περίοδο", period, served["period"])
    for m in served["per_month"]:
        yield _row("Μοναδικοί ωφελούμενοι ανά μήνα", month_name(m["month"]), m)
    yield _row("Νέοι ωφελούμενοι στην περίοδο", period, doc["new_beneficiaries"])
    yield _row(
        "Ωφελούμενοι από την έναρξη λειτουργίας", f"έως {shown_date(doc['to'])}", doc["beneficiaries_since_opening"]
    )
    requests = doc["requests"]
    yield _row("Αιτήματα", period, {"total": requests["total"]})
    for m in requests["per_month"]:
        yield _row("Αιτήματα ανά μήνα", month_name(m["month"]), {"total": m["total"]})
    for c in sorted(requests["by_category"], key=lambda c: (-c["total"], c["category"])):
        yield _row("Αιτήματα ανά κατηγορία", code_label(c["category"], "category"), {"total": c["total"]})
    for s in requests["by_structure_and_gender"]:
        yield _row("Αιτήματα ανά δομή και φύλο", _structure(tenant, s["structure"]), s)
    referrals = doc["referrals"]
    yield _row("Παραπομπές", period, {"total": referrals["total"]})
    for r in referrals["by_structure"]:
        yield _row("Παραπομπές ανά δομή", _structure(tenant, r["key"]), {"total": r["total"]})
    for r in referrals["by_destination"]:
        yield _row("Παραπομπές ανά φορέα", code_label(r["key"], "agency"), {"total": r["total"]})
    for r in referrals["by_outcome"]:
        yield _row("Παραπομπές ανά κατάσταση ή έκβαση", outcome_label(r["key"], "el"), {"total": r["total"]})
    for a in doc["activities"]["by_kind"]:
        yield _row("Δράσεις ανά είδος", code_label(a["key"], "activity"), {"total": a["total"]})
    for h in doc["activities"]["home_visits_by_purpose"]:
        yield _row("Κατ' οίκον επισκέψεις ανά σκοπό", code_label(h["key"], "purpose"), {"total": h["total"]})


def outcome_label(code: str, lang: str) -> str:
    """A referral's outcome, or its status while it has none (the document mixes both, as it counts them)."""
    shown = code_label(code, "referral_outcome", lang)
    return shown if shown != code else code_label(code, "referral_status", lang)


def title_of(doc: dict[str, Any], tenant: Tenant) -> list[str]:
    """The heading lines: the municipality, the period, and the structure if one was chosen."""
    lines = [f"{tenant.name_el}: δείκτες Κέντρου Κοινότητας"]
    where = f", δομή {_structure(tenant, doc['structure'])}" if doc.get("structure") else ""
    lines.append(f"Περίοδος {shown_date(doc['from'])} – {shown_date(doc['to'])}{where}")
    return lines


def to_csv(doc: dict[str, Any], tenant: Tenant) -> bytes:
    """UTF-8 with BOM, ``;``-separated, CRLF line ends (what Excel writes), Greek headings first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(HEADINGS)
    writer.writerows([inert(v) for v in row] for row in rows(doc, tenant))
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(doc: dict[str, Any], tenant: Tenant) -> bytes:
    """One sheet «Δείκτες»: the title, the period, then the same rows as the CSV."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Δείκτες")
    for column, width in zip("ABCDEFG", (40, 34, 11, 11, 12, 10, 10), strict=True):
        sheet.column_dimensions[column].width = width
    bold = Font(bold=True)
    first, second = title_of(doc, tenant)
    heading = WriteOnlyCell(sheet, value=inert(first))
    heading.font = Font(bold=True, size=13)
    sheet.append([heading])
    sheet.append([inert(second)])
    sheet.append([])
    header = []
    for text in HEADINGS:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows(doc, tenant):
        sheet.append([inert(v) for v in row])  # openpyxl writes a text starting with "=" as a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download(doc: dict[str, Any], tenant: Tenant, fmt: str, start: date, end: date) -> Response:
    """The dashboard's figures as a CSV or XLSX attachment (the name keeps ISO dates: they sort)."""
    name = f"kentra-{tenant.id}-{start.isoformat()}-{end.isoformat()}"
    if fmt == "xlsx":
        return Response(
            to_xlsx(doc, tenant),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return Response(
        to_csv(doc, tenant),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
