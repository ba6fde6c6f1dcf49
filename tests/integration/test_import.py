"""Import of historical records from CSV and XLSX (embedded store; the rules are the store's own)."""

from __future__ import annotations

import csv
import json
import tracemalloc
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from domain.identifiers import make_amka
from gateways.importing import kind_of, rows, template
from infra.bootstrap import bootstrap
from services.casework import Casework
from services.importing import LAYOUTS, Importer, Problem
from tests.conftest import TEST_MASTER_KEY, Clock, intake, make_settings
from tests.integration.test_cli import run


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"KENTRA_DATA_DIR": str(tmp_path / "data"), "KENTRA_MASTER_KEY": TEST_MASTER_KEY, "COLUMNS": "200"}


PERSON = make_amka(date(1979, 3, 4), 5)
OTHER = make_amka(date(1960, 1, 1), 7)
BENEFICIARIES = [
    [
        "Κωδικός εγγραφής",
        "Ημερομηνία",
        "Δομή",
        "Όνομα",
        "Επώνυμο",
        "Ημερομηνία γέννησης",
        "ΑΜΚΑ",
        "Φύλο",
        "Εργασιακή κατάσταση",
        "Επίπεδο εκπαίδευσης ISCED",
        "Νοικοκυριό",
        "Περιοχή κατοικίας",
        "Αλλοδαπή καταγωγή",
        "Υπήκοος τρίτης χώρας",
        "Άστεγος/η ή στεγαστικός αποκλεισμός",
        "Αναπηρία",
        "Μειονότητα (και Ρομά)",
        "Άλλη μειονεκτική θέση",
    ],
    [
        "A-1",
        "04/03/2019",
        "centre",
        "Ελένη",
        "Ζαχαροπούλου",
        "1979-03-04",
        PERSON,
        "female",
        "long_term_unemployed",
        "2",
        "single_parent",
        "rural",
        "όχι",
        "όχι",
        "όχι",
        "no",
        "refused",
        "no",
    ],
    [
        "A-2",
        "2019-06-05",
        "roma-branch",
        "Γιώργος",
        "Νικολάου",
        "1960-01-01",
        OTHER,
        "male",
        "inactive",
        "1",
        "other",
        "urban",
        "όχι",
        "όχι",
        "ναι",
        "yes",
        "yes",
        "no",
    ],
    [
        "A-3",
        "2019-13-01",
        "centre",
        "Μαρία",
        "Χ",
        "1970-01-01",
        "",
        "female",
        "employed",
        "3",
        "couple",
        "rural",
        "ίσως",
        "όχι",
        "όχι",
        "no",
        "no",
        "no",
    ],
]
REQUESTS = [
    ["ref", "beneficiary_amka", "category", "structure", "occurred_on"],
    ["R-1", PERSON, "gmi", "centre", "2019-04-01"],
    ["R-2", OTHER, "housing_benefit", "roma-branch", "2019-07-01"],
    ["R-3", "99999999999", "gmi", "centre", "2019-04-02"],
    ["R-4", PERSON, "lottery", "centre", "2019-04-02"],
]


def write_csv(path: Path, table: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(table)
    return path


def write_xlsx(path: Path, table: list[list[str]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in table:
        sheet.append(row)
    book.save(path)
    return path


def head(env: dict[str, str]) -> int:
    code, out, _ = run(env, "projections", "status")
    assert code == 0
    return int(json.loads(out)["sofades"]["head"])


def indicators_of_2019(env: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    output = tmp_path / "indicators-2019.json"
    args = ("--tenant", "sofades", "--from", "2019-01-01", "--to", "2019-12-31", "--format", "json")
    assert run(env, "report", *args, "--output", str(output))[0] == 0
    loaded: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    return loaded


def report_lines(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))[1:]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", list(LAYOUTS))
def test_every_template_is_read_back_as_its_kind_in_greek_and_english(kind: str, fmt: str, tmp_path: Path) -> None:
    for lang in ("el", "en"):
        path = tmp_path / f"{kind}-{lang}.{fmt}"
        path.write_bytes(template(kind, fmt, lang))
        assert kind_of(path).kind == kind
        assert [line for line, _ in rows(path, LAYOUTS[kind])] == [2]


def test_a_dry_run_reports_every_rejected_row_in_greek_and_english_and_records_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    before = head(env)
    people = write_csv(tmp_path / "people.csv", BENEFICIARIES)
    requests = write_xlsx(tmp_path / "requests.xlsx", REQUESTS)
    report = tmp_path / "report.csv"
    code, out, err = run(
        env, "import", "--tenant", "sofades", str(requests), str(people), "--dry-run", "--report", str(report)
    )
    assert code == 0, err
    files = {f["kind"]: f for f in json.loads(out)["files"]}
    assert (files["beneficiaries"]["recorded"], files["beneficiaries"]["rejected"]) == (2, 1)
    assert (files["requests"]["recorded"], files["requests"]["rejected"]) == (2, 2)  # people of this run count
    lines = report_lines(report)
    assert lines[0][:3] == ["people.csv", "4", "occurred_on"]
    assert {(f, n, field) for f, n, field, *_ in lines} >= {
        ("people.csv", "4", "foreign_background"),
        ("people.csv", "4", "household_situation"),
        ("requests.xlsx", "4", "beneficiary_amka"),
        ("requests.xlsx", "5", "category"),
    }
    assert all(el and en and el != en for *_, el, en in lines)
    assert head(env) == before


def test_an_import_records_rows_once_with_their_dates_and_a_corrected_file_only_its_changes(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    live = intake("import-live-0001", personal__amka=OTHER)  # already registered live: matched, not doubled
    assert run(env, "record", "--tenant", "sofades", stdin=live.model_dump_json())[0] == 0
    people = write_csv(tmp_path / "people.csv", BENEFICIARIES)
    requests = write_csv(tmp_path / "requests.csv", REQUESTS)
    report = tmp_path / "report.csv"
    code, out, err = run(env, "import", "--tenant", "sofades", str(people), str(requests), "--report", str(report))
    assert code == 0, err
    files = {f["kind"]: f for f in json.loads(out)["files"]}
    assert (files["beneficiaries"]["recorded"], files["beneficiaries"]["matched"]) == (1, 1)
    # R-2's person was registered live in 2024, after the old system's 2019 request: refused, and said so.
    assert (files["requests"]["recorded"], files["requests"]["rejected"]) == (1, 3)
    assert ["requests.csv", "3", "occurred_on", "οι ημερομηνίες δεν είναι στη σωστή σειρά"] in [
        line[:4] for line in report_lines(report)
    ]
    found = json.loads(run(env, "find", "--tenant", "sofades", "--amka", PERSON)[1])["beneficiary_id"]
    person = json.loads(run(env, "show", "--tenant", "sofades", found)[1])
    assert person["state"]["occurred_on"] == "2019-03-04"  # when it happened: the file's date
    assert person["state"]["recorded_by"] == "import"
    after_first = head(env)

    assert run(env, "import", "--tenant", "sofades", str(people), str(requests), "--report", str(report))[0] == 0
    assert head(env) == after_first  # the same file again: nothing new at all

    corrected = [list(row) for row in REQUESTS]
    corrected[1][2] = "food_aid_teba"  # R-1's category was mistyped in the old system
    fixed = write_csv(tmp_path / "requests-fixed.csv", corrected)
    code, out, _ = run(env, "import", "--tenant", "sofades", str(fixed), "--report", str(report))
    summary = json.loads(out)["files"][0]
    assert (summary["corrected"], summary["unchanged"], summary["recorded"]) == (1, 0, 0)
    assert head(env) == after_first + 3  # the amendment, its command record, the import's record
    categories = indicators_of_2019(env, tmp_path)["requests"]["by_category"]
    assert categories == [{"category": "food_aid_teba", "total": 1}]
    raw = b"".join(p.read_bytes() for p in (Path(env["KENTRA_DATA_DIR"]) / "tenants" / "sofades").iterdir())
    assert "Ζαχαροπούλου".encode() not in raw  # sealed exactly as at a live intake
    assert PERSON.encode() not in raw


def generated(count: int) -> Iterator[tuple[int, dict[str, str]]]:
    for n in range(count):
        yield (
            n + 2,
            {
                "ref": f"ACT-{n}",
                "kind": "counselling_session",
                "structure": "centre",
                "occurred_on": "2019-05-02",
                "participants": "3",
            },
        )


def peak_of_dry_run(casework: Casework, count: int) -> int:
    problems: list[Problem] = []
    importer = Importer(casework, on_problem=problems.append)
    tracemalloc.start()
    summary = importer.run(LAYOUTS["activities"], generated(count), source="gen", checksum="0" * 64, dry_run=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert (summary.rows, summary.recorded, problems) == (count, count, [])
    return peak


def test_rows_stream_so_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    kentra = bootstrap(make_settings("sqlite", tmp_path), today=Clock())
    kentra.provision("sofades")
    try:
        small = peak_of_dry_run(kentra.casework("sofades"), 2_000)
        large = peak_of_dry_run(kentra.casework("sofades"), 40_000)
    finally:
        kentra.close()
    assert large < small * 2  # twenty times the rows, not twice the memory
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ref", "kind", "structure", "occurred_on", "participants"])
        writer.writerows([f"ACT-{n}", "counselling_session", "centre", "2019-05-02", "3"] for n in range(100_000))
    tracemalloc.start()
    assert sum(1 for _ in rows(path, LAYOUTS["activities"])) == 100_000
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2_000_000  # a few rows at a time, never the file


def test_referrals_home_visits_and_activities_are_imported_too(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    people = write_csv(tmp_path / "people.csv", BENEFICIARIES[:3])
    referrals = write_csv(
        tmp_path / "referrals.csv",
        [
            ["ref", "beneficiary_amka", "destination", "structure", "occurred_on"],
            ["F-1", PERSON, "dypa", "centre", "2019-05-01"],
        ],
    )
    visits = write_xlsx(
        tmp_path / "visits.xlsx",
        [
            ["Κωδικός εγγραφής", "ΑΜΚΑ ωφελούμενου", "Σκοπός", "Δομή", "Ημερομηνία", "Επόμενη επίσκεψη έως"],
            ["V-1", OTHER, "living_conditions", "roma-branch", "2019-08-01", "2019-09-01"],
        ],
    )
    activities = write_csv(
        tmp_path / "activities.csv",
        [
            ["ref", "kind", "structure", "occurred_on", "participants", "beneficiary_amkas"],
            ["S-1", "counselling_session", "centre", "2019-06-10", "2", f"{PERSON}; {OTHER}"],
            ["S-2", "networking_meeting", "centre", "2019-05-03", "6", ""],
        ],
    )
    report = tmp_path / "report.csv"
    code, out, err = run(
        env,
        "import",
        "--tenant",
        "sofades",
        str(activities),
        str(visits),
        str(referrals),
        str(people),
        "--report",
        str(report),
    )
    assert code == 0, err
    recorded = {f["kind"]: f["recorded"] for f in json.loads(out)["files"]}
    assert recorded == {"beneficiaries": 2, "referrals": 1, "home_visits": 1, "activities": 2}, report.read_text()
    doc = indicators_of_2019(env, tmp_path)
    assert doc["referrals"]["total"] == 1
    assert doc["activities"]["networking_meetings"] == 1
    assert doc["activities"]["home_visits_by_purpose"] == [{"key": "living_conditions", "total": 1}]
    assert doc["beneficiaries_served"]["period"]["total"] == 2
