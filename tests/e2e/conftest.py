"""An API over the embedded store with one user per role and scope, and a recorded case to reach for."""

from __future__ import annotations

import gc
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from gateways.http.app import create_app
from infra.bootstrap import Kentra, bootstrap
from infra.settings import Settings
from services.access import Principal, Role
from tests.conftest import TEST_MASTER_KEY, Clock, intake

PASSWORD = "a long test password"
USERS = {
    "cw.sof.centre": Principal("cw.sof.centre", Role.CASEWORKER, frozenset({"sofades"}), structure="centre"),
    "cw.sof.roma": Principal("cw.sof.roma", Role.CASEWORKER, frozenset({"sofades"}), structure="roma-branch"),
    "coord.sof": Principal("coord.sof", Role.COORDINATOR, frozenset({"sofades"})),
    "coord.kar": Principal("coord.kar", Role.COORDINATOR, frozenset({"karditsa"})),
    "analyst.thessaly": Principal("analyst.thessaly", Role.REGIONAL_ANALYST, region="thessaly"),
    "analyst.cmac": Principal("analyst.cmac", Role.REGIONAL_ANALYST, region="central-macedonia"),
    "auditor.sof": Principal("auditor.sof", Role.AUDITOR, frozenset({"sofades"})),
    "auditor.pyl": Principal("auditor.pyl", Role.AUDITOR, frozenset({"pylaia-chortiatis"})),
    "admin": Principal("admin", Role.ADMIN),
}


@dataclass
class Api:
    kentra: Kentra
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, user: str, key: str | None = None) -> dict[str, str]:
        if user not in self.tokens:
            response = self.client.post("/api/v1/auth/token", data={"username": user, "password": PASSWORD})
            assert response.status_code == 200, response.text
            self.tokens[user] = response.json()["access_token"]
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def post(self, user: str, path: str, body: dict[str, Any], key: str | None = None) -> Any:
        return self.client.post(f"/api/v1/tenants/sofades{path}", json=body, headers=self.headers(user, key))


TENANTS = ("sofades", "karditsa", "pylaia-chortiatis")


def api_settings(data: Path) -> Settings:
    return Settings(data_dir=data, master_key=SecretStr(TEST_MASTER_KEY), max_body_bytes=20_000)


@pytest.fixture(scope="session")
def provisioned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The platform every API test starts from, built once per run: the users' table, the three
    tenants' stores and the nine users with their Argon2 hashes (production parameters). Provisioning
    and hashing took ~3-6 s of each test's set-up; copying the files takes milliseconds."""
    data = tmp_path_factory.mktemp("provisioned") / "data"
    kentra = bootstrap(api_settings(data), today=Clock())
    try:
        kentra.provision_platform()
        for tenant in TENANTS:
            kentra.provision(tenant)
        for principal in USERS.values():
            kentra.accounts.add(principal, PASSWORD)
    finally:
        kentra.close()
    gc.collect()  # a connection the closed engines no longer hold is closed now, not during a copy
    for database in data.rglob("*.sqlite"):
        # Everything into the database file itself, so that a copy of the files alone is the whole store.
        with sqlite3.connect(database) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
    return data


@pytest.fixture
def api(tmp_path: Path, provisioned: Path) -> Iterator[Api]:
    """A platform of the test's own: a copy of the provisioned one, so no test sees another's writes
    (every count a test asserts is of its own entries) and a test may change users, keys or settings."""
    data = tmp_path / "data"
    shutil.copytree(provisioned, data, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    kentra = bootstrap(api_settings(data), today=Clock())
    with TestClient(create_app(kentra), raise_server_exceptions=False) as client:
        yield Api(kentra, client)
    kentra.close()


def intake_body(**overrides: Any) -> dict[str, Any]:
    command = intake(**overrides).model_dump(mode="json")
    return {k: v for k, v in command.items() if k not in ("command", "command_id", "recorded_by")}
