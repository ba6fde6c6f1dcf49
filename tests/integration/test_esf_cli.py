"""`kentra esf report` writes an operation's delivery to a file, and refuses what it cannot deliver."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from openpyxl import load_workbook

from tests.conftest import intake
from tests.integration.test_cli import env, run

__all__ = ["env"]  # the fixture, shared with test_cli.py
SPRING = ("--from", "2024-03-01", "--to", "2024-06-30")


def recorded(env: dict[str, str]) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    command = intake("esf-cli-intake-0001", occurred_on="2024-05-02").model_dump_json()
    assert run(env, "record", "--tenant", "sofades", stdin=command)[0] == 0


def test_the_report_writes_the_xlsx_csv_and_json_with_the_operation_in_them(
    env: dict[str, str], tmp_path: Path
) -> None:
    recorded(env)
    xlsx = tmp_path / "esf.xlsx"
    code, out, err = run(
        env, "esf", "report", "--tenant", "sofades", "--operation", "2021-2027", *SPRING, "-o", str(xlsx)
    )
    assert code == 0, err
    assert "2021-2027" in out
    workbook = load_workbook(xlsx)
    assert workbook.sheetnames == ["Δείκτες", "Συμμετέχοντες"]
    header = {r[0]: r[1] for r in workbook["Δείκτες"].iter_rows(min_row=2, max_row=9, max_col=2, values_only=True)}
    assert header["Πράξη (operation)"] == "Κέντρο Κοινότητας Δήμου Σοφάδων"
    assert header["Κωδικός MIS/ΟΠΣ (mis_code)"] == "—"  # the registry gives no code for 2021-2027
    assert (header["Από (from)"], header["Έως (to)"]) == ("2024-03-01", "2024-06-30")
    as_csv = tmp_path / "esf.csv"
    args = ("esf", "report", "-t", "sofades", "--operation", "2021-2027", *SPRING, "--format", "csv")
    assert run(env, *args, "--part", "indicators", "-o", str(as_csv))[0] == 0
    rows = list(csv.DictReader(io.StringIO(as_csv.read_text(encoding="utf-8-sig")), delimiter=";"))
    eeco01 = next(r for r in rows if r["Κωδικός δείκτη (code)"] == "EECO01")
    assert eeco01["Σύνολο (total)"] == "1"
    assert eeco01["Πράξη (operation)"] == "Κέντρο Κοινότητας Δήμου Σοφάδων"
    as_json = tmp_path / "esf.json"
    assert run(env, *args[:-1], "json", "-o", str(as_json))[0] == 0
    assert json.loads(as_json.read_text(encoding="utf-8"))["operation"]["from"] == "2024-01-01"


def test_the_report_refuses_a_period_outside_the_operation_and_an_unknown_one(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    target = tmp_path / "x.xlsx"
    code, _, err = run(env, "esf", "report", "-t", "sofades", "--operation", "5002786", *SPRING, "-o", str(target))
    assert code == 2
    assert "2023-12-31" in err
    code, _, err = run(env, "esf", "report", "-t", "sofades", "--operation", "9999999", *SPRING, "-o", str(target))
    assert code == 2
    assert "no operation '9999999'" in err
    code, _, err = run(
        env, "esf", "report", "-t", "sofades", "--operation", "2021-2027", *SPRING, "--format", "pdf", "-o", str(target)
    )
    assert code == 2
    assert not target.exists()
