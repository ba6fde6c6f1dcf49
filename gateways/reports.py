"""Indicator documents as tables: CSV and XLSX with Greek headings, for the API and `kentra report`."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from starlette.responses import Response

HEADINGS = ["ενότητα", "section", "κλειδί", "Γυναίκες", "Άνδρες", "Μη δυαδικό", "Άγνωστο", "Σύνολο"]
SECTIONS = {
    "beneficiaries_served_per_month": "Μοναδικοί ωφελούμενοι ανά μήνα",
    "beneficiaries_served_in_period": "Μοναδικοί ωφελούμενοι στην περίοδο",
    "requests_per_month": "Αιτήματα ανά μήνα",
    "requests_by_category": "Αιτήματα ανά κατηγορία",
    "requests_by_structure_and_gender": "Αιτήματα ανά δομή και φύλο",
    "referrals_by_structure": "Παραπομπές ανά δομή",
    "referrals_by_destination": "Παραπομπές ανά φορέα",
    "referrals_by_outcome": "Παραπομπές ανά έκβαση",
    "activities_by_kind": "Δράσεις ανά είδος",
    "home_visits_by_purpose": "Κατ' οίκον επισκέψεις ανά σκοπό",
    "new_beneficiaries": "Νέοι ωφελούμενοι στην περίοδο",
    "beneficiaries_since_opening": "Ωφελούμενοι από την έναρξη λειτουργίας",
    "households_served": "Νοικοκυριά που εξυπηρετήθηκαν στην περίοδο",
    "households_served_by_size": "Νοικοκυριά που εξυπηρετήθηκαν ανά μέγεθος",
}
GENDER_KEYS = ("female", "male", "non_binary", "unknown", "total")


def _row(section: str, key: str, counts: dict[str, Any]) -> list[Any]:
    return [SECTIONS[section], section, key, *(counts.get(g, "") for g in GENDER_KEYS)]


def indicator_rows(doc: dict[str, Any]) -> list[list[Any]]:
    rows = [_row("beneficiaries_served_per_month", m["month"], m) for m in doc["beneficiaries_served"]["per_month"]]
    rows.append(
        _row("beneficiaries_served_in_period", f"{doc['from']}/{doc['to']}", doc["beneficiaries_served"]["period"])
    )
    requests = doc["requests"]
    rows += [_row("requests_per_month", m["month"], {"total": m["total"]}) for m in requests["per_month"]]
    rows += [_row("requests_by_category", c["category"], {"total": c["total"]}) for c in requests["by_category"]]
    rows += [_row("requests_by_structure_and_gender", s["structure"], s) for s in requests["by_structure_and_gender"]]
    for part in ("by_structure", "by_destination", "by_outcome"):
        rows += [_row(f"referrals_{part}", r["key"], {"total": r["total"]}) for r in doc["referrals"][part]]
    rows += [_row("activities_by_kind", a["key"], {"total": a["total"]}) for a in doc["activities"]["by_kind"]]
    rows += [
        _row("home_visits_by_purpose", h["key"], {"total": h["total"]})
        for h in doc["activities"]["home_visits_by_purpose"]
    ]
    rows.append(_row("new_beneficiaries", "", doc["new_beneficiaries"]))
    rows.append(_row("beneficiaries_since_opening", doc["to"], doc["beneficiaries_since_opening"]))
    households = doc.get("households_served")  # issue 23: a tenant's own figure (no gender: households)
    if households:
        rows.append(_row("households_served", f"{doc['from']}/{doc['to']}", {"total": households["total"]}))
        rows += [_row("households_served_by_size", b["size"], {"total": b["total"]}) for b in households["by_size"]]
    return rows


def inert(value: Any) -> Any:
    """A cell a spreadsheet shows as text, never runs as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def to_csv(doc: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADINGS)
    writer.writerows([inert(v) for v in row] for row in indicator_rows(doc))
    return buffer.getvalue()


def to_xlsx(doc: dict[str, Any], title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Δείκτες"
    sheet.append([inert(title)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([f"Περίοδος {doc['from']} – {doc['to']}" + (f", δομή {doc['structure']}" if doc["structure"] else "")])
    sheet.append([])
    sheet.append(HEADINGS)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for row in indicator_rows(doc):
        sheet.append([inert(v) for v in row])  # openpyxl writes a text starting with "=" as a formula
    for column, width in zip("ABCDEFGH", (42, 34, 22, 11, 11, 12, 10, 10), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download(doc: dict[str, Any], municipality_el: str, fmt: str) -> Response:
    """An indicators document as a CSV or XLSX attachment, for the API and the pages alike."""
    name = f"kentra-{doc['tenant']}-{doc['from']}-{doc['to']}"
    if fmt == "xlsx":
        return Response(
            to_xlsx(doc, f"{municipality_el}: δείκτες Κέντρου Κοινότητας"),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return Response(
        to_csv(doc),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
