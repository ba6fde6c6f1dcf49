"""Reports open in a spreadsheet: no value in them runs as a formula, and no ΑΜΚΑ is kept in clear."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from domain.identifiers import make_amka
from gateways.importing import Report
from gateways.reports import to_csv, to_xlsx
from services.importing import Problem

ATTACKS = ('=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1")
AMKA = make_amka(date(1979, 3, 4), 5)


def live(cell: str) -> bool:
    return cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_the_import_report_keeps_no_formula_and_no_amka_in_clear(tmp_path: Path) -> None:
    report = Report(tmp_path / "report.csv")
    for attack in ATTACKS:
        report.file = attack
        report.add(Problem(2, "beneficiary_amka", f"{attack} ΑΜΚΑ {AMKA}", f"{attack}: no one with ΑΜΚΑ {AMKA}"))
    report.close()
    text = (tmp_path / "report.csv").read_text(encoding="utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    assert AMKA not in text
    assert AMKA[-3:] in text  # enough for staff to tell the rows apart
    assert not [cell for cell in cells if live(cell)]
    assert any(cell == "'" + ATTACKS[0] for cell in cells)  # shown as the text it was


def indicators(key: str) -> dict[str, Any]:
    return {
        "tenant": "sofades",
        "from": "2022-07-01",
        "to": "2022-12-31",
        "structure": None,
        "beneficiaries_served": {"per_month": [], "period": {}},
        "requests": {"per_month": [], "by_category": [{"category": key, "total": 1}], "by_structure_and_gender": []},
        "referrals": {"by_structure": [], "by_destination": [], "by_outcome": []},
        "activities": {"by_kind": [], "home_visits_by_purpose": []},
        "new_beneficiaries": {},
        "beneficiaries_since_opening": {},
    }


def test_an_indicator_report_shows_a_formula_like_value_as_text_in_csv_and_xlsx() -> None:
    for attack in ATTACKS:
        rows = list(csv.reader(io.StringIO(to_csv(indicators(attack)), newline="")))
        assert not [cell for row in rows for cell in row if live(cell)], attack
        sheet = load_workbook(io.BytesIO(to_xlsx(indicators(attack), attack))).active
        assert sheet is not None
        cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
        assert not [c for c in cells if c.data_type == "f" or (isinstance(c.value, str) and live(c.value))], attack
