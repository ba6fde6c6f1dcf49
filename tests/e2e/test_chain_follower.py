"""While `kentra serve` runs, the audit chain follows the log within seconds (no `projections run`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from pydantic import SecretStr

from infra.bootstrap import bootstrap
from infra.settings import DEFAULT_TENANTS_FILE, Settings
from services.access import Principal, Role
from tests.conftest import TEST_MASTER_KEY, service_url
from tests.e2e.conftest import intake_body
from tests.e2e.test_serve import free_port
from tests.fleet import tenants_file

ROOT = Path(__file__).parents[2]
PASSWORD = "a long follower-test password"
DEADLINE_SECONDS = 180  # generous: the follower runs every second, a loaded machine starts it slowly


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateways.cli", *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def platform(kind: str, tmp_path: Path) -> tuple[dict[str, str], str]:
    """The environment of a `kentra serve` over a fresh tenant with one coordinator, and the tenant."""
    env = {**os.environ, "KENTRA_DATA_DIR": str(tmp_path), "KENTRA_MASTER_KEY": TEST_MASTER_KEY}
    for name in ("KENTRA_DATABASE_URL", "KENTRA_DATABASE_OWNER_URL", "KENTRA_TENANTS_FILE"):
        env.pop(name, None)
    tenant = "sofades"
    if kind == "postgres":  # a tenant of its own on the shared server, so no other test's log is touched
        tenant = f"test-{uuid4().hex[:12]}"
        env["KENTRA_TENANTS_FILE"] = str(tenants_file(tmp_path, [tenant], roma=True))
        env["KENTRA_DATABASE_URL"] = service_url("KENTRA_TEST_DATABASE_URL")
        env["KENTRA_DATABASE_OWNER_URL"] = service_url("KENTRA_TEST_DATABASE_OWNER_URL")
    settings = Settings(
        data_dir=tmp_path,
        master_key=SecretStr(TEST_MASTER_KEY),
        tenants_file=Path(env.get("KENTRA_TENANTS_FILE", DEFAULT_TENANTS_FILE)),
        database_url=SecretStr(env["KENTRA_DATABASE_URL"]) if kind == "postgres" else None,
        database_owner_url=SecretStr(env["KENTRA_DATABASE_OWNER_URL"]) if kind == "postgres" else None,
    )
    kentra = bootstrap(settings)
    try:
        kentra.provision_platform()
        kentra.provision(tenant)
        kentra.accounts.add(Principal(f"coord.{tenant}", Role.COORDINATOR, frozenset({tenant})), PASSWORD)
    finally:
        kentra.close()
    return env, tenant


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def test_an_event_recorded_through_the_api_is_chained_while_serve_runs(tmp_path: Path, kind: str) -> None:
    env, tenant = platform(kind, tmp_path)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gateways.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            try:
                if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("kentra serve did not become ready")
            time.sleep(0.2)
        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": f"coord.{tenant}", "password": PASSWORD}
        ).json()
        created = httpx.post(
            f"{base}/api/v1/tenants/{tenant}/beneficiaries",
            json=intake_body(),
            headers={"Authorization": f"Bearer {token['access_token']}", "Idempotency-Key": "follower-intake-1"},
            timeout=30,
        )
        assert created.status_code == 201, created.text
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:  # readiness polling on the verdict itself: no fixed sleep decides the outcome
            verified = cli(env, "audit", "verify", "--tenant", tenant)
            assert verified.returncode == 0, verified.stderr
            verdict = json.loads(verified.stdout)
            if verdict["chained"] >= 2 and verdict["pending"] == 0:
                break
            if time.monotonic() > deadline:
                pytest.fail(f"the chain did not follow the log: {verdict}")
            time.sleep(0.5)
        assert verdict["ok"] is True
        assert verdict["witnessed"] >= 1  # the follower witnessed the head it reached
    finally:
        server.terminate()
        server.wait(timeout=15)
