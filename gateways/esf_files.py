"""An operation's ESF delivery as files: the indicator table and the participant file (XLSX, CSV, JSON).

Every file says what it is about: the XLSX's sheets open with header rows (MIS/ΟΠΣ code, operation,
programme, period); each CSV row starts with the same facts as columns (``mis_code``, ``operation``,
``programme``, ``from``, ``to``), so a CSV reader gets them with every row and a spreadsheet's filter
or a program's import keeps them. CSV as a Greek Excel opens it: UTF-8 with a byte-order mark and
``;`` between cells (``gateways.web.exports`` says why). Headings are Greek with the key in brackets.
Every text cell goes through ``reports.inert``: nothing typed by staff can run as a formula.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from starlette.responses import Response

from gateways.esf_labels import (
    ANSWERS_EL,
    ENTRIES_EL,
    GENDERS_EL,
    KINDS_EL,
    PARTICIPANT_COLUMNS,
    heading,
    indicator_label,
)
from gateways.reports import inert

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("json", "csv", "xlsx")
PARTS = ("indicators", "participants")
GENDER_KEYS = ("female", "male", "non_binary", "unknown")
DATE_KEYS = frozenset({"entered_on", "left_on", "followed_up_on"})
LEADING = (
    ("mis_code", "Κωδικός MIS/ΟΠΣ"),
    ("operation", "Πράξη"),
    ("programme", "Πρόγραμμα"),
    ("from", "Από"),
    ("to", "Έως"),
)
INDICATOR_COLUMNS = (
    ("kind", "Είδος δείκτη"),
    ("code", "Κωδικός δείκτη"),
    ("label", "Δείκτης"),
    *((g, GENDERS_EL[g]) for g in GENDER_KEYS),
    ("total", "Σύνολο"),
    ("refused", "Άρνηση απάντησης (σύνολο)"),
)


def leading_values(doc: dict[str, Any]) -> list[Any]:
    """The facts every CSV row starts with: the operation's code and title, the programme, the period."""
    operation = doc["operation"]
    return [operation["code"] or "—", operation["title"], operation["programme"], doc["from"], doc["to"]]


def header_lines(doc: dict[str, Any], part: str) -> list[list[Any]]:
    """The header rows of a sheet: what the file is, then (label, value) of the operation and period."""
    operation = doc["operation"]
    what = "Δείκτες συμμετεχόντων ΕΚΤ" if part == "indicators" else "Αρχείο συμμετεχόντων ΕΚΤ"
    structure = doc.get("structure")
    return [
        [f"{doc['municipality']}: {what}"],
        [heading("mis_code", "Κωδικός MIS/ΟΠΣ"), operation["code"] or "—"],
        [heading("operation", "Πράξη"), operation["title"]],
        [heading("programme", "Πρόγραμμα"), operation["programme"]],
        [heading("period", "Προγραμματική περίοδος"), operation["period"]],
        [heading("priority_axis", "Άξονας προτεραιότητας"), operation["priority_axis"] or "—"],
        [heading("from", "Από"), doc["from"]],
        [heading("to", "Έως"), doc["to"]],
        [heading("structure", "Δομή"), structure or "όλες οι δομές"],
    ]


def indicator_rows(doc: dict[str, Any]) -> Iterator[list[Any]]:
    """One row per indicator (after the participants' total): kind, code, Greek name, counts by gender."""
    participants = doc["participants"]
    counts = [participants.get(g, 0) for g in (*GENDER_KEYS, "total")]
    yield ["Σύνολο", "", "Συμμετέχοντες (σύνολο)", *counts, ""]
    for entry in doc["indicators"]:
        refused = entry.get("refused")
        yield [
            KINDS_EL.get(entry.get("kind", ""), entry.get("kind", "")),
            entry["code"],
            indicator_label(entry),
            *(entry.get(g, 0) for g in GENDER_KEYS),
            entry.get("total", 0),
            "" if refused is None else refused.get("total", 0),
        ]


def cell_value(key: str, value: Any) -> Any:
    """A participant's value as the file shows it: yes/no/refused as ναι/όχι/άρνηση, the entry in Greek."""
    if value is None:
        return ""
    if key == "entry":
        return ENTRIES_EL.get(value, value)
    if isinstance(value, bool) or value in ("yes", "no", "refused"):
        return ANSWERS_EL[value]
    return value


def participant_rows(doc: dict[str, Any]) -> Iterator[list[Any]]:
    """One row per participant, in the columns of ``PARTICIPANT_COLUMNS``."""
    for person in doc["people"]:
        yield [cell_value(key, person.get(key)) for key, _ in PARTICIPANT_COLUMNS]


def _part(doc: dict[str, Any], part: str) -> tuple[list[str], Iterator[list[Any]]]:
    if part == "indicators":
        return [heading(k, g) for k, g in INDICATOR_COLUMNS], indicator_rows(doc)
    return [heading(k, g) for k, g in PARTICIPANT_COLUMNS], participant_rows(doc)


def to_csv(doc: dict[str, Any], part: str) -> bytes:
    """One part as CSV: each row starts with the operation's code, title, programme and period."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    headings, rows = _part(doc, part)
    writer.writerow([heading(k, g) for k, g in LEADING] + headings)
    lead = [inert(v) for v in leading_values(doc)]
    writer.writerows(lead + [inert(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_value(key: str | None, value: Any) -> Any:
    if key in DATE_KEYS and isinstance(value, str) and value:
        return date.fromisoformat(value)
    return inert(value)  # openpyxl writes a text starting with "=" as a formula


def _sheet(workbook: Workbook, doc: dict[str, Any], part: str) -> None:
    sheet = workbook.create_sheet("Δείκτες" if part == "indicators" else "Συμμετέχοντες")
    bold = Font(bold=True)
    for number, line in enumerate(header_lines(doc, part)):
        cells = [WriteOnlyCell(sheet, value=inert(v)) for v in line]
        cells[0].font = Font(bold=True, size=13) if number == 0 else bold
        sheet.append(cells)
    sheet.append([])
    headings, rows = _part(doc, part)
    header = []
    for text in headings:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    keys: list[str | None] = [k for k, _ in PARTICIPANT_COLUMNS] if part == "participants" else []
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            cell = WriteOnlyCell(sheet, value=_xlsx_value(keys[index] if keys else None, value))
            if isinstance(cell.value, date):
                cell.number_format = "DD/MM/YYYY"
            cells.append(cell)
        sheet.append(cells)


def to_xlsx(doc: dict[str, Any], part: str | None = None) -> bytes:
    """The indicator table and the participant file as two sheets (or one, for a ``part``)."""
    workbook = Workbook(write_only=True)
    for each in (part,) if part else PARTS:
        _sheet(workbook, doc, each)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_json(doc: dict[str, Any], part: str | None = None) -> str:
    """The delivery document (or one part of it, with the operation and period) as JSON."""
    if part == "indicators":
        doc = {k: v for k, v in doc.items() if k != "people"}
    elif part == "participants":
        doc = {k: v for k, v in doc.items() if k not in ("indicators", "participants")}
    return json.dumps(doc, ensure_ascii=False, indent=2, default=str)


def file_name(doc: dict[str, Any], fmt: str, part: str | None) -> str:
    """E.g. ``esf-sofades-5002786-2023-01-01-2023-06-30-participants.csv`` (ISO dates: they sort)."""
    operation = doc["operation"]
    name = f"esf-{doc['tenant']}-{operation['code'] or operation['period']}-{doc['from']}-{doc['to']}"
    return f"{name}-{part}.{fmt}" if part else f"{name}.{fmt}"


def content(doc: dict[str, Any], fmt: str, part: str | None) -> bytes:
    """The file's bytes; a CSV is one part (the indicators unless ``part`` says otherwise)."""
    if fmt == "xlsx":
        return to_xlsx(doc, part)
    if fmt == "csv":
        return to_csv(doc, part or "indicators")
    return to_json(doc, part).encode("utf-8")


def download(doc: dict[str, Any], fmt: str, part: str | None) -> Response:
    """The delivery as an attachment, for the API and the page alike."""
    if fmt == "csv":
        part = part or "indicators"
    media = {"xlsx": XLSX, "csv": "text/csv; charset=utf-8", "json": "application/json"}[fmt]
    return Response(
        content(doc, fmt, part),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{file_name(doc, fmt, part)}"'},
    )
