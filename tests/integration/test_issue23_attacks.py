"""Attacks on issue 23 through the operator's paths: the import and ``kentra record`` reach the same
consent rule as the API (a referral to an NGO, or to a local agency counted as one, needs consent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import TEST_MASTER_KEY, intake
from tests.integration.test_cli import run
from tests.integration.test_import import BENEFICIARIES, PERSON, write_csv


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"KENTRA_DATA_DIR": str(tmp_path / "data"), "KENTRA_MASTER_KEY": TEST_MASTER_KEY, "COLUMNS": "200"}


def _local_ngo(env: dict[str, str]) -> None:
    code, out, err = run(
        env,
        "catalogue",
        "add",
        "--tenant",
        "sofades",
        "--kind",
        "agency",
        "--code",
        "local_food_bank",
        "--label-el",
        "Τράπεζα τροφίμων",
        "--label-en",
        "Food bank",
        "--national",
        "ngo",
        "--by",
        "coord.sof",
    )
    assert code == 0, out + err


def test_an_imported_referral_to_an_ngo_or_a_local_ngo_without_consent_is_refused(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    _local_ngo(env)
    people = write_csv(tmp_path / "people.csv", BENEFICIARIES[:2])
    referrals = write_csv(
        tmp_path / "referrals.csv",
        [
            ["ref", "beneficiary_amka", "destination", "structure", "occurred_on", "consent_given_as"],
            ["F-1", PERSON, "ngo", "centre", "2019-05-01", ""],
            ["F-2", PERSON, "local_food_bank", "centre", "2019-05-02", ""],
            ["F-3", PERSON, "local_food_bank", "centre", "2019-05-03", "signed_form"],
        ],
    )
    _, out, err = run(
        env, "import", "--tenant", "sofades", str(people), str(referrals), "--report", str(tmp_path / "report.csv")
    )
    files = {f["kind"]: f for f in json.loads(out)["files"]}
    assert files["referrals"]["recorded"] == 1, out + err  # only the one that carries its consent


def test_kentra_record_of_a_referral_to_a_local_ngo_without_consent_is_refused(env: dict[str, str]) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    _local_ngo(env)
    code, out, _ = run(env, "record", "--tenant", "sofades", stdin=intake("attack-intake-1").model_dump_json())
    assert code == 0, out
    person = json.loads(out)["results"][0]["entry_id"]
    referral = {
        "command": "send_referral",
        "command_id": "attack-referral-1",
        "recorded_by": "m.georgiou",
        "beneficiary_id": person,
        "destination": "local_food_bank",
        "structure": "centre",
        "occurred_on": "2024-05-06",
    }
    code, out, err = run(env, "record", "--tenant", "sofades", stdin=json.dumps(referral))
    assert code != 0
    assert "consent.given_as" in out + err
