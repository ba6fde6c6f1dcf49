"""Backups restore into an empty store and verify: on the embedded store and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from sqlalchemy.engine import make_url

from domain.identifiers import make_amka
from tests.conftest import TEST_MASTER_KEY, intake, service_url
from tests.integration.test_cli import run

FIRST_HALF = {"from": "2024-01-01", "to": "2024-06-30"}


def record_some(env: dict[str, str]) -> None:
    assert run(env, "tenants", "sync")[0] == 0
    for n in range(3):
        document = intake(f"backup-intake-{n:04}", personal__amka=make_amka(date(1970, 5, 5), n)).model_dump_json()
        assert run(env, "record", "--tenant", "sofades", stdin=document)[0] == 0
    assert run(env, "projections", "run", "--once")[0] == 0


def report(env: dict[str, str]) -> object:
    output = Path(env["KENTRA_DATA_DIR"]).parent / f"report-{uuid4().hex}.json"
    code, _, err = run(
        env,
        "report",
        "--tenant",
        "sofades",
        "--from",
        "2024-01-01",
        "--to",
        "2024-06-30",
        "--format",
        "json",
        "--output",
        str(output),
    )
    assert code == 0, err
    return json.loads(output.read_text(encoding="utf-8"))


def test_an_embedded_backup_restores_into_an_empty_data_directory_and_verifies(tmp_path: Path) -> None:
    live = {"KENTRA_DATA_DIR": str(tmp_path / "live"), "KENTRA_MASTER_KEY": TEST_MASTER_KEY, "COLUMNS": "200"}
    record_some(live)
    code, out, err = run(live, "backup", "--to", str(tmp_path / "backup"))
    assert code == 0, err
    assert json.loads(out)["tenants"]["sofades"]["position"] == 6

    fresh = {**live, "KENTRA_DATA_DIR": str(tmp_path / "restored")}
    code, out, err = run(fresh, "restore", "--from", str(tmp_path / "backup"))
    assert code == 0, err
    restored = json.loads(out)["sofades"]
    assert (restored["ok"], restored["matches_backup"], restored["chained"]) == (True, True, 6)
    assert report(fresh) == report(live)
    assert run(fresh, "restore", "--from", str(tmp_path / "backup"))[0] == 1  # not into a store that has data


def test_a_damaged_backup_or_another_master_key_is_refused(tmp_path: Path) -> None:
    live = {"KENTRA_DATA_DIR": str(tmp_path / "live"), "KENTRA_MASTER_KEY": TEST_MASTER_KEY, "COLUMNS": "200"}
    record_some(live)
    assert run(live, "backup", "--to", str(tmp_path / "backup"))[0] == 0
    other_key = {**live, "KENTRA_DATA_DIR": str(tmp_path / "other"), "KENTRA_MASTER_KEY": "A" * 43 + "="}
    code, out, err = run(other_key, "restore", "--from", str(tmp_path / "backup"))
    assert code == 1
    assert json.loads(out)["sofades"]["matches_backup"] is False
    assert "is the master key the same?" in err
    events = tmp_path / "backup" / "tenants" / "sofades" / "events.sqlite"
    damaged = bytearray(events.read_bytes())
    damaged[-100] ^= 0xFF
    events.write_bytes(bytes(damaged))
    code, _, err = run(
        {**live, "KENTRA_DATA_DIR": str(tmp_path / "third")}, "restore", "--from", str(tmp_path / "backup")
    )
    assert code == 1
    assert "does not match its checksum" in err


@pytest.mark.integration
def test_a_postgresql_backup_restores_into_an_empty_database_and_verifies(tmp_path: Path) -> None:
    superuser = service_url("KENTRA_TEST_DATABASE_SUPERUSER_URL")
    owner = make_url(service_url("KENTRA_TEST_DATABASE_OWNER_URL"))
    app = make_url(service_url("KENTRA_TEST_DATABASE_URL"))
    databases = {"live": f"kentra_bk_{uuid4().hex[:8]}", "restored": f"kentra_rs_{uuid4().hex[:8]}"}
    with psycopg.connect(superuser, autocommit=True) as conn:
        for name in databases.values():
            conn.execute(f'CREATE DATABASE "{name}" OWNER kentra_owner')
    try:
        envs = {
            key: {
                "KENTRA_DATA_DIR": str(tmp_path / key),
                "KENTRA_MASTER_KEY": TEST_MASTER_KEY,
                "KENTRA_DATABASE_URL": app.set(database=name).render_as_string(hide_password=False),
                "KENTRA_DATABASE_OWNER_URL": owner.set(database=name).render_as_string(hide_password=False),
                "COLUMNS": "200",
            }
            for key, name in databases.items()
        }
        record_some(envs["live"])
        code, _, err = run(envs["live"], "backup", "--to", str(tmp_path / "backup"))
        assert code == 0, err
        code, out, err = run(envs["restored"], "restore", "--from", str(tmp_path / "backup"))
        assert code == 0, err
        restored = json.loads(out)["sofades"]
        assert (restored["ok"], restored["matches_backup"], restored["chained"]) == (True, True, 6)
        assert report(envs["restored"]) == report(envs["live"])
        assert run(envs["restored"], "record", "--tenant", "sofades", stdin=intake().model_dump_json())[0] == 0
    finally:
        with psycopg.connect(superuser, autocommit=True) as conn:
            for name in databases.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
