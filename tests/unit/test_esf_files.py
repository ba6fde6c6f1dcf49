"""The ESF delivery's files from a hand-built document: yes/no/refused as ναι/όχι/άρνηση, dates as
dates, text that looks like a formula kept as text, and the operation in every file."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook

from gateways import esf_files
from gateways.esf_labels import INDICATORS_EL, KINDS_EL, indicator_label
from projections.esf_rules import RULES

COUNTS = {"female": 1, "male": 0, "non_binary": 0, "unknown": 0, "total": 1}


def document(**person: Any) -> dict[str, Any]:
    return {
        "tenant": "sofades",
        "municipality": "Δήμος Σοφάδων",
        "from": "2023-01-01",
        "to": "2023-06-30",
        "structure": None,
        "operation": {
            "key": "2014-2020",
            "period": "2014-2020",
            "code": "5002786",
            "title": "=cmd|' /C calc'!A0",
            "programme": "ΠΕΠ Θεσσαλίας 2014-2020",
            "priority_axis": None,
        },
        "participants": COUNTS,
        "indicators": [{"code": "CR04", "label": "in employment upon leaving", "kind": "immediate_result", **COUNTS}],
        "people": [
            {
                "participant": "7f0c1d9e-0000-4000-8000-000000000001",
                "structure": "centre",
                "entered_on": "2023-02-01",
                "entry": "intake",
                "gender": "female",
                "disability": "yes",
                "minority": "refused",
                "other_disadvantage": "no",
                "homeless": False,
                "left_on": None,
                **person,
            }
        ],
    }


def test_special_answers_and_booleans_read_as_greek_yes_no_refused() -> None:
    row = csv_rows(esf_files.to_csv(document(), "participants"))[0]
    assert row["Αναπηρία (disability)"] == "ναι"
    assert row["Μειονότητα (minority)"] == "άρνηση"
    assert row["Άλλη μειονεκτική θέση (other_disadvantage)"] == "όχι"
    assert row["Άστεγος ή αποκλεισμός από στέγαση (homeless)"] == "όχι"
    assert row["Ημερομηνία εξόδου (left_on)"] == ""  # not left yet: empty, not "None"


def test_text_that_looks_like_a_formula_is_written_as_text() -> None:
    doc = document(structure="@SUM(A1:A9)")
    rows = csv_rows(esf_files.to_csv(doc, "participants"))
    assert rows[0]["Πράξη (operation)"].startswith("'=")
    workbook = load_workbook(io.BytesIO(esf_files.to_xlsx(doc)))
    for sheet in workbook:
        for line in sheet.iter_rows():
            for cell in line:
                assert cell.data_type != "f", cell.value


def test_the_xlsx_keeps_dates_as_dates_and_each_code_with_its_greek_kind() -> None:
    workbook = load_workbook(io.BytesIO(esf_files.to_xlsx(document())))
    people = list(workbook["Συμμετέχοντες"].iter_rows(min_row=12, values_only=True))
    entered = people[0][1]
    assert isinstance(entered, datetime)
    assert entered.date() == date(2023, 2, 1)
    indicators = list(workbook["Δείκτες"].iter_rows(min_row=12, values_only=True))
    assert indicators[1][:3] == ("Άμεσος δείκτης αποτελέσματος", "CR04", indicator_label({"code": "CR04"}))


def test_a_part_alone_is_one_sheet() -> None:
    workbook = load_workbook(io.BytesIO(esf_files.to_xlsx(document(), "participants")))
    assert workbook.sheetnames == ["Συμμετέχοντες"]


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_every_code_of_both_programmes_has_a_greek_name() -> None:
    for rules in RULES.values():
        for rule in rules:
            assert rule.code in INDICATORS_EL, rule.code
            assert rule.kind in KINDS_EL, rule.kind
