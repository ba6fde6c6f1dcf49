"""HTTP with 32 concurrent clients against `kentra serve` (one process per core, issue 24) on
PostgreSQL: requests per second, p50 and p99, for recording intakes and for reading a half-year's
indicators, against the liveness endpoint (the framework's own floor) measured the same way in the
same run; and, before the HTTP phase, the same intake commands executed by 32 threads on the service
layer directly (``services.recording.record``, what the route calls), the baseline of the intakes'
throughput.

The clients run on the same two cores as the server, so the figures are a floor for what a
separate client machine would see.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    BENCH_MASTER_KEY,
    TODAY,
    Result,
    intake_body,
    new_tenant_ids,
    peak_of,
    percentile,
    platform,
    tenants_file,
)
from demo.history import DemoHistory
from gateways.cli.serve import cores
from services.access import Principal, Role
from services.commands import IntakeFields
from services.recording import record

CLIENTS = 32
PASSWORD = "a long benchmark password"
ROOT = Path(__file__).parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started (kentra serve's API processes)."""
    return [int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()]


def _load(url: str, per_client: int, request: Callable[[httpx.Client, int, int], httpx.Response]) -> dict[str, Any]:
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS + 1)

    def client(number: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            mine, bad = [], []
            start.wait()
            for n in range(per_client):
                began = time.perf_counter()
                try:
                    status = request(http, number, n).status_code
                except httpx.TransportError:
                    status = 0  # the connection failed: counted, not hidden
                mine.append((time.perf_counter() - began) * 1000)
                if status == 0 or status >= 400:
                    bad.append(status)
            with lock:
                latencies.extend(mine)
                failures.extend(bad)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    return {
        "rps": len(latencies) / seconds,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "failures": failures,
    }


def _service_layer(casework: Any, user: Principal, per_client: int, offset: int) -> dict[str, Any]:
    """The intakes the HTTP clients send, executed by as many threads on the service layer directly."""
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS + 1)
    bodies = [
        [IntakeFields.model_validate(intake_body(offset + c * per_client + n)) for n in range(per_client)]
        for c in range(CLIENTS)
    ]

    def client(number: int) -> None:
        mine = []
        start.wait()
        for n, body in enumerate(bodies[number]):
            began = time.perf_counter()
            record(casework, user, body, "register_beneficiary", f"bench-service-{offset}-{number}-{n}")
            mine.append((time.perf_counter() - began) * 1000)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    return {"rps": len(latencies) / seconds, "p50": percentile(latencies, 50), "p99": percentile(latencies, 99)}


def run(per_client: int = 20, history: int = 1500) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="kentra-bench-") as directory:
        [tenant_id] = new_tenant_ids(1)
        listed = tenants_file(Path(directory), [tenant_id])
        with platform(Path(directory), [tenant_id], tenants=listed) as kentra:
            user = f"coord.{tenant_id}"
            kentra.accounts.add(Principal(user, Role.COORDINATOR, frozenset({tenant_id})), PASSWORD)
            workers = cores()  # kentra serve's default on PostgreSQL
            casework = kentra.casework(tenant_id)
            commands = list(islice(DemoHistory(kentra.registry.tenant(tenant_id), TODAY).commands(), history))
            for start in range(0, len(commands), 500):
                casework.execute_many(commands[start : start + 500])
            kentra.views(tenant_id).catch_up()
            coordinator = Principal(user, Role.COORDINATOR, frozenset({tenant_id}))
            service = _service_layer(casework, coordinator, per_client, offset=500_000)
            kentra.views(tenant_id).catch_up()
            port = _free_port()
            env = {
                **os.environ,
                "KENTRA_DATA_DIR": directory,
                "KENTRA_MASTER_KEY": BENCH_MASTER_KEY,
                "KENTRA_TENANTS_FILE": str(listed),
                "KENTRA_DATABASE_URL": os.environ["KENTRA_TEST_DATABASE_URL"],
                "KENTRA_DATABASE_OWNER_URL": os.environ["KENTRA_TEST_DATABASE_OWNER_URL"],
                "KENTRA_LOG_LEVEL": "WARNING",
            }
            server = subprocess.Popen(
                [sys.executable, "-m", "gateways.cli", "serve", "--port", str(port)],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=(Path(directory) / "server.log").open("wb"),
            )
            url = f"http://127.0.0.1:{port}"
            try:
                for _ in range(300):
                    try:
                        httpx.get(f"{url}/health/live", timeout=1)
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                token = httpx.post(f"{url}/api/v1/auth/token", data={"username": user, "password": PASSWORD}).json()[
                    "access_token"
                ]
                auth = {"Authorization": f"Bearer {token}"}
                base = f"/api/v1/tenants/{tenant_id}"
                floor = _load(url, per_client, lambda http, c, n: http.get("/health/live"))

                def intake(http: httpx.Client, client: int, n: int) -> httpx.Response:
                    return http.post(f"{base}/beneficiaries", json=intake_body(client * per_client + n), headers=auth)

                recording = _load(url, per_client, intake)
                reading = _load(
                    url,
                    per_client,
                    lambda http, c, n: http.get(
                        f"{base}/indicators", params={"from": "2024-07-01", "to": "2024-12-31"}, headers=auth
                    ),
                )
                server_peak = max(peak_of(pid) for pid in (server.pid, *_children(server.pid)))
            finally:
                server.terminate()
                server.wait(timeout=20)
                errors = [
                    line
                    for line in (Path(directory) / "server.log").read_text(errors="replace").splitlines()
                    if '"level": "error"' in line or "Traceback" in line or "ERROR" in line
                ]
    shape = f"{workers} server processes; {CLIENTS} client threads on the same cores"
    results.append(
        Result(
            "http",
            f"service layer, intakes by {CLIENTS} threads, commands/s",
            service["rps"],
            "cmd/s",
            notes=f"p50 {service['p50']:.1f} ms, p99 {service['p99']:.1f} ms; services.recording.record, one process",
            extra={"p50_ms": service["p50"], "p99_ms": service["p99"]},
        )
    )
    results.append(
        Result(
            "http",
            f"recording an intake, {CLIENTS} clients, requests/s",
            recording["rps"],
            "req/s",
            f"service layer, same intakes, {CLIENTS} threads",
            service["rps"],
            ">= 0.8 of the service layer",
            recording["rps"] >= 0.8 * service["rps"] and not recording["failures"],
            shape,
        )
    )
    for name, measured, target in (("recording an intake", recording, 150), ("reading indicators", reading, 100)):
        results.append(
            Result(
                "http",
                f"{name}, {CLIENTS} clients, p99",
                measured["p99"],
                "ms",
                "GET /health/live, same clients",
                floor["p99"],
                f"p99 < {target} ms",
                measured["p99"] < target and not measured["failures"],
                f"{measured['rps']:.0f} requests/s (floor {floor['rps']:.0f}); p50 {measured['p50']:.1f} ms;"
                f" {len(measured['failures'])} failures ({sorted(set(measured['failures']))}); {shape}",
                {
                    "rps": measured["rps"],
                    "p50_ms": measured["p50"],
                    "floor_rps": floor["rps"],
                    "server_errors": errors[:5],
                },
            )
        )
    results.append(
        Result(
            "memory",
            "API process (kentra serve), peak memory (the largest of its processes)",
            server_peak,
            "MB",
            target="< 500 MB",
            met=server_peak < 500,
        )
    )
    return results
