"""`kentra serve` as operators run it, and the API on PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from domain.tenants import TenantRegistry
from gateways.http.app import create_app
from infra.bootstrap import bootstrap
from services.access import Principal, Role
from tests.conftest import TEST_MASTER_KEY, Clock, isolated_registry, make_settings
from tests.e2e.conftest import intake_body


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_kentra_serve_answers_on_the_port_it_was_given(tmp_path: Path) -> None:
    port, metrics = free_port(), free_port()
    env = {**os.environ, "KENTRA_DATA_DIR": str(tmp_path), "KENTRA_MASTER_KEY": TEST_MASTER_KEY}
    env.pop("KENTRA_DATABASE_URL", None)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateways.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--metrics-port",
            str(metrics),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120  # generous: a loaded machine takes long to import the app
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail("kentra serve did not answer within 120 s")
                time.sleep(0.1)
        assert response.json()["info"]["title"] == "Kentra"
        unauthorised = httpx.get(f"http://127.0.0.1:{port}/api/v1/tenants", timeout=5)
        assert unauthorised.status_code == 401
        assert unauthorised.headers["content-type"] == "application/problem+json"
        assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).status_code == 404  # not on the public port
        scraped = httpx.get(f"http://127.0.0.1:{metrics}/metrics", timeout=5)
        assert 'kentra_http_requests_total{method="GET",route="/api/v1/tenants",status="401"} 1.0' in scraped.text
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.integration
def test_the_api_records_and_lists_on_postgresql(tmp_path: Path, real_registry: TenantRegistry) -> None:
    settings = make_settings("postgres", tmp_path)
    registry, tenant = isolated_registry(real_registry)
    kentra = bootstrap(settings, registry=registry, today=Clock())
    try:
        kentra.provision_platform()
        kentra.provision(tenant.id)
        user = f"coord.{tenant.id}"
        kentra.accounts.add(Principal(user, Role.COORDINATOR, frozenset({tenant.id})), "a long test password")
        with TestClient(create_app(kentra)) as client:
            token = client.post("/api/v1/auth/token", data={"username": user, "password": "a long test password"})
            headers = {"Authorization": f"Bearer {token.json()['access_token']}", "Idempotency-Key": "pg-intake-01"}
            base = f"/api/v1/tenants/{tenant.id}"
            created = client.post(f"{base}/beneficiaries", json=intake_body(), headers=headers)
            assert created.status_code == 201, created.text
            person = created.json()["entry_id"]
            assert client.post(f"{base}/beneficiaries", json=intake_body(), headers=headers).status_code == 200
            opened = client.post(
                f"{base}/requests",
                headers={"Authorization": headers["Authorization"]},
                json={"beneficiary_id": person, "category": "gmi", "structure": "centre", "occurred_on": "2024-05-02"},
            )
            assert opened.status_code == 201, opened.text
            listed = client.get(f"{base}/requests", headers={"Authorization": headers["Authorization"]}).json()
            assert [i["entry_id"] for i in listed["items"]] == [opened.json()["entry_id"]]
            read = client.get(f"{base}/beneficiaries/{person}", headers={"Authorization": headers["Authorization"]})
            assert read.json()["state"]["sealed"]["personal"]["last_name"] == "Τσιουρβαλή"
    finally:
        kentra.close()
