"""`kentra esf submit`, `submissions` and `restatement` as an operator uses them (embedded store)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from domain.identifiers import make_amka
from gateways.cli import app
from tests.conftest import TEST_MASTER_KEY, command, intake


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"KENTRA_DATA_DIR": str(tmp_path / "data"), "KENTRA_MASTER_KEY": TEST_MASTER_KEY, "COLUMNS": "200"}


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    unset: dict[str, str | None] = {"KENTRA_DATABASE_URL": None, "KENTRA_TENANTS_FILE": None}
    result = CliRunner().invoke(app, list(args), input=stdin, env={**unset, **env})
    return result.exit_code, result.stdout, result.stderr


def test_an_operator_submits_lists_and_reads_the_restatement_after_a_correction(env: dict[str, str]) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    person = intake("cli-esf-intake", occurred_on="2022-08-10", personal__amka=make_amka(date(1979, 3, 4), 501))
    code, out, err = run(env, "record", "--tenant", "sofades", stdin=person.model_dump_json())
    assert code == 0, out + err
    person_id = json.loads(out)["results"][0]["entry_id"]
    terms = ("--tenant", "sofades", "--operation", "5002786", "--from", "2022-07-01", "--to", "2022-12-31")
    code, out, err = run(env, "esf", "submit", *terms, "--submitted-on", "2023-01-20", "--json")
    assert code == 0, out + err
    submission = json.loads(out)
    assert (submission["mis_code"], submission["submitted_on"]) == ("5002786", "2023-01-20")
    again = run(env, "esf", "submit", *terms, "--submitted-on", "2023-01-20", "--json")
    assert json.loads(again[1])["id"] == submission["id"]  # the same terms: the same submission

    amend = command(
        command="amend_entry", entry_id=person_id, changes={"profile": {"isced_level": 5}}, reason="typing_error"
    )
    assert run(env, "record", "--tenant", "sofades", stdin=amend.model_dump_json())[0] == 0
    code, out, _ = run(env, "esf", "submissions", "--tenant", "sofades", "--json")
    assert code == 0
    (row,) = json.loads(out)["submissions"]
    assert row["holds"] is False
    code, out, _ = run(env, "esf", "restatement", "--tenant", "sofades", submission["id"], "--json")
    assert code == 0
    cells = {c["cell"] for c in json.loads(out)["changes"]}
    assert {"esf-2014-2020/CO09/female", "esf-2014-2020/CO11/female"} <= cells
    code, out, _ = run(env, "esf", "restatement", "--tenant", "sofades", submission["id"])
    assert code == 0
    assert "restated" in out
    assert "CO11" in out


def test_a_period_outside_the_operation_is_refused_and_nothing_is_recorded(env: dict[str, str]) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    terms = ("--tenant", "sofades", "--operation", "5002786", "--from", "2024-01-01", "--to", "2024-06-30")
    code, _, err = run(env, "esf", "submit", *terms)
    assert code == 2
    assert "5002786" in err
    code, out, _ = run(env, "esf", "submissions", "--tenant", "sofades", "--json")
    assert json.loads(out)["submissions"] == []
