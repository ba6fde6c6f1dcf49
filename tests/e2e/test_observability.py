"""Health, metrics and logs of the API and the workers: what operators watch, and what never shows."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from domain.identifiers import make_amka
from gateways.observability import configure_logging
from tests.conftest import TEST_MASTER_KEY, service_url
from tests.e2e.conftest import Api, intake_body

ROOT = Path(__file__).parents[2]


def test_the_api_answers_health_and_metrics_and_tags_each_request_with_an_id(api: Api) -> None:
    assert api.client.get("/health/live").json() == {"status": "ok"}
    assert api.client.get("/health/ready").status_code == 200
    response = api.post("coord.sof", "/beneficiaries", intake_body(), key="obs-intake-0001")
    assert response.status_code == 201
    assert len(response.headers["x-request-id"]) == 32
    given = api.client.get("/api/v1/tenants", headers={**api.headers("coord.sof"), "X-Request-ID": "trace-12345678"})
    assert given.headers["x-request-id"] == "trace-12345678"
    app: Any = api.client.app
    metrics = app.state.metrics.render().decode()  # served apart from the API's port: `kentra serve --metrics-port`
    assert (
        'kentra_http_requests_total{method="POST",route="/api/v1/tenants/{tenant}/beneficiaries",status="201"} 1.0'
        in metrics
    )
    assert 'kentra_http_request_seconds_count{method="GET",route="/api/v1/tenants"}' in metrics
    assert 'kentra_log_position{tenant="sofades"} 2.0' in metrics  # the intake and its command record
    assert 'kentra_projection_lag_events{tenant="sofades"}' in metrics


def test_logs_are_json_with_a_request_id_and_never_carry_the_query_or_body(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging()
    amka = make_amka(date(1961, 2, 3), 5)
    assert api.post("coord.sof", "/beneficiaries", intake_body(personal__amka=amka, personal__last_name="Ζαχαρίου"))
    found = api.client.get(
        "/api/v1/tenants/sofades/beneficiaries", params={"amka": amka}, headers=api.headers("coord.sof")
    )
    assert found.status_code == 200
    logged = capsys.readouterr().err
    lines = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["message"] == "request"]
    assert {"method": "GET", "route": "/api/v1/tenants/{tenant}/beneficiaries", "status": 200}.items() <= requests[
        -1
    ].items()
    assert all(len(line["request_id"]) == 32 for line in requests)
    assert amka not in logged
    assert "Ζαχαρίου" not in logged


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


def until(port: int, path: str, status: int, seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        code, body = get(port, path)
        if code == status:
            return body
        time.sleep(0.2)
    raise AssertionError(f"{path} never answered {status}")


def embedded_env(data: Path) -> dict[str, str]:
    env = {**os.environ, "KENTRA_DATA_DIR": str(data), "KENTRA_MASTER_KEY": TEST_MASTER_KEY}
    for name in ("KENTRA_DATABASE_URL", "KENTRA_KAFKA_BOOTSTRAP_SERVERS", "KENTRA_TENANTS_FILE"):
        env.pop(name, None)
    return env


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tenants' stores as `kentra tenants sync` makes them, once per module (a CLI process of a
    few seconds); each test works on a copy of its own."""
    data = tmp_path_factory.mktemp("synced") / "data"
    kentra = [sys.executable, "-m", "gateways.cli"]
    subprocess.run([*kentra, "tenants", "sync"], env=embedded_env(data), check=True, cwd=ROOT, capture_output=True)
    return data


@pytest.fixture
def data(tmp_path: Path, synced: Path) -> dict[str, str]:
    shutil.copytree(synced, tmp_path / "data")
    return embedded_env(tmp_path / "data")


Start = Callable[[list[str], dict[str, str]], None]
Worker = tuple[Start, dict[str, str]]


@pytest.fixture
def worker(data: dict[str, str]) -> Iterator[Worker]:
    started: list[subprocess.Popen[bytes]] = []

    def start(args: list[str], env: dict[str, str]) -> None:
        started.append(
            subprocess.Popen(
                [sys.executable, "-m", "gateways.cli", *args], env=env, cwd=ROOT, stderr=subprocess.DEVNULL
            )
        )

    yield start, data
    for process in started:
        process.terminate()
        process.wait(timeout=20)


def test_a_worker_is_live_and_ready_and_reports_its_lag(worker: Worker) -> None:
    start, env = worker
    port = free_port()
    start(["projections", "run", "--health-port", str(port)], env)
    assert json.loads(until(port, "/health/live", 200)) == {"status": "ok"}
    until(port, "/health/ready", 200)
    assert 'kentra_projection_lag_events{tenant="karditsa"} 0.0' in get(port, "/metrics")[1]


def test_the_gateway_is_live_but_not_ready_while_its_broker_is_away(worker: Worker) -> None:
    start, env = worker
    port = free_port()
    away = socket.socket()
    away.bind(("127.0.0.1", 0))  # a port nothing listens on
    start(
        ["gateway", "run", "--health-port", str(port)],
        {**env, "KENTRA_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{away.getsockname()[1]}"},
    )
    until(port, "/health/live", 200)
    assert json.loads(until(port, "/health/ready", 503)) == {"broker": "ConnectionError"}
    away.close()


@pytest.mark.integration
def test_the_gateway_is_ready_once_its_broker_answers(worker: Worker) -> None:
    start, env = worker
    port = free_port()
    topic = f"test.obs.{time.time_ns()}"
    start(
        ["gateway", "run", "--health-port", str(port)],
        {
            **env,
            "KENTRA_KAFKA_BOOTSTRAP_SERVERS": service_url("KENTRA_TEST_KAFKA_BOOTSTRAP_SERVERS"),
            "KENTRA_KAFKA_TOPIC": topic,
            "KENTRA_KAFKA_CHECKPOINT_TOPIC": topic + ".checkpoints",
        },
    )
    assert json.loads(until(port, "/health/ready", 200, seconds=120)) == {"status": "ok"}
