"""The kentra command, as scripts and people use it (embedded store)."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
from datetime import date
from pathlib import Path
from uuid import uuid4

import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from domain.access_log import PersonalDataAccess, PersonalDataSearch
from domain.identifiers import make_amka
from gateways.cli import app
from gateways.cli.demo import demo_users
from infra.accounts import SqlAccounts
from infra.bootstrap import bootstrap
from infra.settings import DEFAULT_TENANTS_FILE, Settings
from services.access import Principal, Role
from services.casework import read_log
from tests.conftest import TEST_MASTER_KEY, intake, service_url


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"KENTRA_DATA_DIR": str(tmp_path / "data"), "KENTRA_MASTER_KEY": TEST_MASTER_KEY, "COLUMNS": "200"}


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    unset: dict[str, str | None] = {"KENTRA_DATABASE_URL": None, "KENTRA_TENANTS_FILE": None}
    result = CliRunner().invoke(app, list(args), input=stdin, env={**unset, **env})
    return result.exit_code, result.stdout, result.stderr


def test_tenants_list_prints_the_four_municipalities_as_json(env: dict[str, str]) -> None:
    code, out, _ = run(env, "tenants", "list", "--json")
    assert code == 0
    assert [(t["id"], t["region"]) for t in json.loads(out)] == [
        ("sofades", "thessaly"),
        ("karditsa", "thessaly"),
        ("tyrnavos", "thessaly"),
        ("pylaia-chortiatis", "central-macedonia"),
    ]


def test_record_takes_json_and_answers_json(env: dict[str, str]) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    document = intake("cli-intake-0001").model_dump_json()
    code, out, _ = run(env, "record", "--tenant", "sofades", stdin=document)
    assert code == 0, out
    outcome = json.loads(out)["results"][0]
    assert (outcome["ok"], outcome["kind"], outcome["version"]) == (True, "beneficiary", 1)
    code, out, _ = run(env, "record", "--tenant", "sofades", stdin=document)
    assert json.loads(out)["results"][0]["replayed"] is True
    code, out, _ = run(env, "show", "--tenant", "sofades", outcome["entry_id"], "--history")
    assert [e["event"] for e in json.loads(out)] == ["Beneficiary.Registered"]


@pytest.mark.parametrize(
    ("stdin", "expected"),
    [
        ('{"command": "open_request",', "malformed JSON at line 1 column"),
        (
            '{"command": "open_request", "command_id": "cli-00000001", "recorded_by": "a", "beneficiary_id":'
            ' "9f1c1d2e-0000-4000-8000-000000000000", "category": "lottery", "structure": "centre",'
            ' "occurred_on": "2024-05-02"}',
            "1 invalid field(s); nothing was recorded",
        ),
        (
            '{"command": "open_request", "command_id": "cli-00000002", "recorded_by": "a", "beneficiary_id":'
            ' "9f1c1d2e-0000-4000-8000-000000000000", "category": "gmi", "structure": "centre",'
            ' "occurred_on": "2024-02-30"}',
            "invalid field",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(env: dict[str, str], stdin: str, expected: str) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    code, out, err = run(env, "record", "--tenant", "sofades", stdin=stdin)
    assert code == 2
    assert expected in err
    if out:
        fields = [e["field"] for e in json.loads(out)["errors"]]
        assert any(f.endswith(("category", "occurred_on")) for f in fields)


def test_an_unknown_tenant_is_named(env: dict[str, str]) -> None:
    code, _, err = run(env, "record", "--tenant", "volos", stdin=intake().model_dump_json())
    assert code == 2
    assert "unknown tenant 'volos'" in err


def test_a_refused_command_in_a_list_records_none_of_the_list(env: dict[str, str]) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    good = json.loads(intake().model_dump_json())
    future = json.loads(intake(occurred_on="2099-01-01").model_dump_json()) | {"command_id": "cli-future-01"}
    future["personal"]["amka"] = None
    code, out, err = run(env, "record", "--tenant", "sofades", stdin=json.dumps([good, future]))
    assert code == 1
    assert "nothing was recorded" in err
    assert [r["ok"] for r in json.loads(out)["results"]] == [True, False]
    code, out, _ = run(env, "find", "--tenant", "sofades", "--amka", good["personal"]["amka"])
    assert json.loads(out) == {"beneficiary_id": None}


def test_a_fifth_municipality_is_added_by_data_and_one_command(env: dict[str, str], tmp_path: Path) -> None:
    tenants = tmp_path / "tenants.toml"
    tenants.write_text(
        DEFAULT_TENANTS_FILE.read_text(encoding="utf-8")
        + """
[[tenants]]
id = "farsala"
name_el = "Δήμος Φαρσάλων"
name_en = "Municipality of Farsala"
region = "thessaly"
[[tenants.programmes]]
period = "2021-2027"
name_el = "Πρόγραμμα «Θεσσαλία» 2021-2027"
[[tenants.structures]]
id = "centre"
kind = "centre"
name_el = "Κέντρο Κοινότητας Δήμου Φαρσάλων"
""",
        encoding="utf-8",
    )
    env = env | {"KENTRA_TENANTS_FILE": str(tenants)}
    code, out, _ = run(env, "tenants", "sync")
    assert code == 0
    assert "farsala: created" in out
    assert "farsala: up to date" in run(env, "tenants", "sync")[1]
    code, out, _ = run(env, "record", "--tenant", "farsala", stdin=intake().model_dump_json())
    assert code == 0, out


def test_the_demo_loads_every_tenant_and_a_second_run_records_nothing_new(env: dict[str, str]) -> None:
    code, out, err = run(env, "demo", "--no-serve", "--tenant", "tyrnavos", "--tenant", "pylaia-chortiatis")
    assert code == 0, err
    assert "tyrnavos" in out
    assert "pylaia-chortiatis" in out
    code, again, _ = run(env, "demo", "--no-serve", "--tenant", "tyrnavos", "--tenant", "pylaia-chortiatis")
    assert code == 0
    table = [line for line in out.splitlines() if "tyrnavos" in line]
    assert table == [line for line in again.splitlines() if "tyrnavos" in line]


def test_projections_rebuild_status_and_report_from_the_command_line(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "demo", "--no-serve", "--tenant", "tyrnavos")[0] == 0
    code, out, _ = run(env, "projections", "status")
    assert code == 0
    assert json.loads(out)["tyrnavos"]["events_behind"] == 0
    assert run(env, "projections", "rebuild", "--tenant", "tyrnavos")[0] == 0
    report = tmp_path / "tyrnavos.json"
    code, _, err = run(
        env,
        "report",
        "--tenant",
        "tyrnavos",
        "--from",
        "2024-03-04",
        "--to",
        "2025-03-03",
        "--format",
        "json",
        "--output",
        str(report),
    )
    assert code == 0, err
    doc = json.loads(report.read_text(encoding="utf-8"))
    assert doc["requests"]["total"] > 900
    assert doc["beneficiaries_served"]["period"]["total"] > 150
    bad = run(
        env,
        "report",
        "--tenant",
        "tyrnavos",
        "--from",
        "2025-01-01",
        "--to",
        "2024-01-01",
        "--format",
        "csv",
        "--output",
        str(tmp_path / "x.csv"),
    )
    assert bad[0] == 2
    assert "--to is before --from" in bad[2]


def test_audit_verify_reports_a_sound_chain_and_names_where_it_breaks(env: dict[str, str]) -> None:
    assert run(env, "demo", "--no-serve", "--tenant", "tyrnavos")[0] == 0
    code, out, _ = run(env, "audit", "verify", "--tenant", "tyrnavos")
    assert code == 0
    verdict = json.loads(out)
    assert verdict["ok"] is True
    assert verdict["chained"] > 5000
    events = Path(env["KENTRA_DATA_DIR"]) / "tenants" / "tyrnavos" / "events.sqlite"
    with sqlite3.connect(events) as conn:
        conn.execute("DROP TRIGGER stored_events_refuse_update")
        conn.execute("UPDATE stored_events SET topic = topic || ' ' WHERE rowid = 4242")
    code, out, err = run(env, "audit", "verify", "--tenant", "tyrnavos")
    assert code == 1
    assert json.loads(out)["first_broken"] == 4242
    assert "the chain breaks at position 4242" in err


def test_an_export_verifies_offline_with_the_public_key_and_fails_on_any_altered_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run(env, "demo", "--no-serve", "--tenant", "tyrnavos")[0] == 0
    export = tmp_path / "tyrnavos.jsonl"
    assert run(env, "audit", "export", "--tenant", "tyrnavos", "--to", str(export))[0] == 0
    key = run(env, "audit", "public-key", "--tenant", "tyrnavos")[1].strip()
    offline = {"COLUMNS": "200"}  # no data directory, no master key: only the file and the public key
    code, out, _ = run(offline, "audit", "verify", "--file", str(export), "--public-key", key)
    assert code == 0
    assert json.loads(out)["events"] > 5000
    lines = export.read_text(encoding="utf-8").splitlines()
    changed = json.loads(lines[100]) | {"topic": json.loads(lines[100])["topic"] + " "}
    variants = {
        "altered": [*lines[:100], json.dumps(changed), *lines[101:]],
        "missing": [*lines[:100], *lines[101:]],
        "reordered": [*lines[:100], lines[101], lines[100], *lines[102:]],
        "cut at the end": [*lines[:-3], lines[-1]],
    }
    for name, content in variants.items():
        tampered = tmp_path / f"{name}.jsonl"
        tampered.write_text("\n".join(content) + "\n", encoding="utf-8")
        code, _, err = run(offline, "audit", "verify", "--file", str(tampered), "--public-key", key)
        assert code == 1, name
        assert "error:" in err, name
    other_key = run(env, "audit", "public-key", "--tenant", "sofades")[1].strip()
    code, _, err = run(offline, "audit", "verify", "--file", str(export), "--public-key", other_key)
    assert code == 1
    assert "signature does not verify" in err


@pytest.mark.integration
def test_checkpoints_go_to_the_topic_and_verify_finds_a_deleted_one_there(env: dict[str, str]) -> None:
    assert run(env, "demo", "--no-serve", "--tenant", "tyrnavos")[0] == 0  # signs a first checkpoint
    suffix = uuid4().hex[:8]
    kafka = {
        **env,
        "KENTRA_KAFKA_BOOTSTRAP_SERVERS": service_url("KENTRA_TEST_KAFKA_BOOTSTRAP_SERVERS"),
        "KENTRA_KAFKA_TOPIC": f"test.events.{suffix}",
        "KENTRA_KAFKA_CHECKPOINT_TOPIC": f"test.checkpoints.{suffix}",
    }
    code, out, _ = run(kafka, "audit", "checkpoint", "--tenant", "tyrnavos")
    assert code == 0
    signed = json.loads(out)[0]
    assert run(kafka, "gateway", "run", "--once")[0] == 0
    code, out, _ = run(kafka, "audit", "verify", "--tenant", "tyrnavos")
    assert code == 0, out
    assert (json.loads(out)["checkpoints"], json.loads(out)["published_checkpoints"]) == (2, 2)
    data = Path(env["KENTRA_DATA_DIR"]) / "tenants" / "tyrnavos"
    with sqlite3.connect(data / "events.sqlite") as conn:  # someone holding the files removes the last events
        conn.execute("DROP TRIGGER stored_events_refuse_delete")
        conn.execute("DELETE FROM stored_events WHERE rowid > ?", (signed["position"] - 10,))
    with sqlite3.connect(data / "views.sqlite") as conn:  # ...and the evidence the store kept of them
        for table in ("audit_chain_keyed", "audit_checkpoints"):
            conn.execute(f"DROP TRIGGER {table}_refuse_delete")
            conn.execute(f"DELETE FROM {table}")
    (Path(env["KENTRA_DATA_DIR"]) / "witness" / "tyrnavos.jsonl").unlink()  # ...and the local witness
    assert run(env, "audit", "chain", "--tenant", "tyrnavos")[0] == 0
    assert run(env, "audit", "verify", "--tenant", "tyrnavos")[0] == 0  # the store alone is consistent again
    code, _, err = run(kafka, "audit", "verify", "--tenant", "tyrnavos")
    assert code == 1
    assert "missing from the store" in err


def test_an_auditor_is_cleared_for_personal_data_by_an_explicit_flag_and_no_one_else(env: dict[str, str]) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    password = "a long test password\n"
    args = ("users", "add", "--tenant", "sofades", "--password-stdin")
    assert run(env, *args, "aud.pd", "--role", "auditor", "--personal-data", stdin=password)[0] == 0
    assert run(env, *args, "aud.plain", "--role", "auditor", stdin=password)[0] == 0
    code, _, err = run(env, *args, "coord.pd", "--role", "coordinator", "--personal-data", stdin=password)
    assert code == 2
    assert "for auditors only" in err
    listed = {u["username"]: u["personal_data"] for u in json.loads(run(env, "users", "list")[1])}
    assert listed == {"aud.pd": True, "aud.plain": False}


def test_a_users_table_from_before_the_personal_data_column_gets_it(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'platform.sqlite'}")
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE kentra_users (username VARCHAR(64) PRIMARY KEY, password_hash VARCHAR(200) NOT NULL,"
                " role VARCHAR(32) NOT NULL, tenants VARCHAR(2000) NOT NULL, structure VARCHAR(40),"
                " region VARCHAR(40), active BOOLEAN NOT NULL, created_at DATETIME NOT NULL)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO kentra_users VALUES"
                " ('old.auditor', 'x', 'auditor', 'sofades', NULL, NULL, 1, '2024-01-01')"
            )
        )
    accounts = SqlAccounts(engine)
    accounts.create_tables()
    accounts.create_tables()  # and again: nothing to add the second time
    assert accounts.principal("old.auditor") == Principal("old.auditor", Role.AUDITOR, frozenset({"sofades"}))
    engine.dispose()


def test_the_projections_worker_chains_and_signs_a_checkpoint_when_one_is_due(env: dict[str, str]) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    assert run(env, "record", "--tenant", "sofades", stdin=intake("cli-intake-cp01").model_dump_json())[0] == 0
    code, out, _ = run(env, "audit", "verify", "--tenant", "sofades")
    assert code == 0
    assert (json.loads(out)["chained"], json.loads(out)["pending"], json.loads(out)["checkpoints"]) == (0, 2, 0)
    assert run(env, "projections", "run", "--once")[0] == 0
    verdict = json.loads(run(env, "audit", "verify", "--tenant", "sofades")[1])
    assert (verdict["chained"], verdict["pending"], verdict["checkpoints"]) == (2, 0, 1)
    assert run(env, "projections", "run", "--once")[0] == 0  # nothing new: no new checkpoint
    assert json.loads(run(env, "audit", "verify", "--tenant", "sofades")[1])["checkpoints"] == 1


def test_due_erasures_are_listed_and_a_scheduled_run_erases_them_with_a_report(
    env: dict[str, str], tmp_path: Path
) -> None:
    tenants = tmp_path / "tenants.toml"  # a 2014-2020 programme whose retention ended in 2023
    tenants.write_text(
        DEFAULT_TENANTS_FILE.read_text(encoding="utf-8").replace("accounts_year = 2025", "accounts_year = 2020"),
        encoding="utf-8",
    )
    env = {**env, "KENTRA_TENANTS_FILE": str(tenants)}
    assert run(env, "tenants", "sync")[0] == 0
    old = intake("due-intake-0001", occurred_on="2019-03-01", personal__amka=make_amka(date(1950, 3, 3), 1))
    recent = intake("due-intake-0002", occurred_on="2024-03-01", personal__amka=make_amka(date(1950, 3, 3), 2))
    ids = []
    for document in (old, recent):
        code, out, _ = run(env, "record", "--tenant", "sofades", stdin=document.model_dump_json())
        assert code == 0, out
        ids.append(json.loads(out)["results"][0]["entry_id"])
    code, out, _ = run(env, "privacy", "due", "--tenant", "sofades")
    assert code == 0
    assert [d["beneficiary_id"] for d in json.loads(out)["due"]] == [ids[0]]
    assert json.loads(out)["due"][0]["earliest"] == "2024-01-01"
    export = tmp_path / "subject.json"
    assert run(env, "privacy", "export", "--tenant", "sofades", "--beneficiary", ids[0], "--to", str(export))[0] == 0
    assert json.loads(export.read_text(encoding="utf-8"))["beneficiary"]["id"] == ids[0]
    code, out, _ = run(env, "privacy", "due", "--tenant", "sofades", "--erase")
    assert (code, json.loads(out)["erased"]) == (0, 1)
    code, out, _ = run(env, "show", "--tenant", "sofades", ids[0], "--reveal")
    assert json.loads(out)["state"]["sealed"] == "[erased]"
    assert json.loads(run(env, "privacy", "due", "--tenant", "sofades")[1])["due"] == []
    code, _, err = run(env, "privacy", "erase", "--tenant", "sofades", "--beneficiary", ids[1], "--reason", "asked")
    assert code == 2
    assert "may not be erased yet" in err


def test_the_demo_users_sign_in_with_the_password_printed_for_them_and_a_new_run_replaces_it(
    env: dict[str, str],
) -> None:
    settings = Settings(data_dir=Path(env["KENTRA_DATA_DIR"]), master_key=SecretStr(TEST_MASTER_KEY))
    kentra = bootstrap(settings)
    try:
        first = demo_users(kentra)
        assert {p.role for _, p, _ in first} == {Role.COORDINATOR, Role.CASEWORKER, Role.REGIONAL_ANALYST, Role.AUDITOR}
        for name, _, password in first:
            assert kentra.accounts.authenticate(name, password) is not None
        second = {name: password for name, _, password in demo_users(kentra)}
        assert all(kentra.accounts.authenticate(name, password) is None for name, _, password in first)
        assert all(kentra.accounts.authenticate(name, password) for name, password in second.items())
    finally:
        kentra.close()


@pytest.mark.parametrize("weak", ["password1234", "aaaaaaaaaaaa"])
def test_users_add_and_password_refuse_a_guessable_password_and_say_why(env: dict[str, str], weak: str) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    add = ("users", "add", "coord.weak", "--role", "coordinator", "--tenant", "sofades", "--password-stdin")
    code, _, err = run(env, *add, stdin=weak + "\n")
    assert code == 2
    assert "too easy to guess" in err
    assert json.loads(run(env, "users", "list")[1]) == []
    assert run(env, *add, stdin="a long test password\n")[0] == 0
    code, _, err = run(env, "users", "password", "coord.weak", "--password-stdin", stdin=weak + "\n")
    assert code == 2
    assert "too easy to guess" in err
    code, out, _ = run(env, "users", "password", "coord.weak", "--password-stdin", stdin="thistle harbour quietly\n")
    assert code == 0, out


def test_an_operators_find_and_reveal_are_in_the_access_log_without_the_amka(env: dict[str, str]) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    amka = make_amka(date(1977, 7, 7), 7171)
    document = intake("cli-logged-0001", personal__amka=amka)
    out = run(env, "record", "--tenant", "sofades", stdin=document.model_dump_json())[1]
    person = json.loads(out)["results"][0]["entry_id"]
    nobody = make_amka(date(1961, 1, 1), 6161)
    assert json.loads(run(env, "find", "--tenant", "sofades", "--amka", amka, "--by", "op.maria")[1]) == {
        "beneficiary_id": person
    }
    assert json.loads(run(env, "find", "--tenant", "sofades", "--amka", nobody, "--by", "op.maria")[1]) == {
        "beneficiary_id": None
    }
    assert run(env, "show", "--tenant", "sofades", person, "--reveal", "--by", "op.maria")[0] == 0
    assert run(env, "show", "--tenant", "sofades", person)[0] == 0  # sealed: nothing read, nothing logged
    settings = Settings(data_dir=Path(env["KENTRA_DATA_DIR"]), master_key=SecretStr(TEST_MASTER_KEY))
    kentra = bootstrap(settings)
    try:
        log = list(read_log(kentra.casework("sofades")))
        recorder = kentra.casework("sofades").recorder
        states = [n.state for n in recorder.select_notifications(start=None, limit=10_000)]
    finally:
        kentra.close()
    found = [
        (e.searched_by, e.role, e.by, e.found)
        for e in log
        if type(e).__qualname__ == f"{PersonalDataSearch.__name__}.Recorded"
    ]
    assert found == [("op.maria", "operator", "amka", 1), ("op.maria", "operator", "amka", 0)]
    read = [
        (e.accessed_by, e.endpoint, str(e.beneficiary_id))
        for e in log
        if type(e).__qualname__ == f"{PersonalDataAccess.__name__}.Recorded"
    ]
    assert read == [("op.maria", "cli find", person), ("op.maria", "cli show --reveal", person)]
    assert not any(nobody.encode() in state for state in states)


def test_after_a_new_linkage_key_a_replay_rebuilds_the_regions_links_under_it(env: dict[str, str]) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    assert run(env, "record", "--tenant", "sofades", stdin=intake("cli-link-0001").model_dump_json())[0] == 0
    assert run(env, "gateway", "run", "--once")[0] == 0
    data = Path(env["KENTRA_DATA_DIR"])
    store = data / "regions" / "thessaly" / "sofades.sqlite"

    def kids() -> set[str]:
        with sqlite3.connect(store) as conn:
            return {row[0] for row in conn.execute("SELECT kid FROM region_links")}

    before = kids()
    assert len(before) == 1
    key = data / "keys" / "region-links" / "thessaly.key"  # made for the development store
    key.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")  # rotated
    store.unlink()  # the Region empties its roll-up of Sofades
    code, out, _ = run(env, "gateway", "replay", "--tenant", "sofades")
    assert code == 0, out
    assert run(env, "gateway", "run", "--once")[0] == 0
    after = kids()
    assert len(after) == 1
    assert after != before
    code, _, err = run(env, "gateway", "replay", "--tenant", "athens")
    assert code != 0
    assert "athens" in err
