"""HTTP with 32 concurrent clients against `kentra serve` (one process) on PostgreSQL: requests per
second, p50 and p99, for recording intakes and for reading a half-year's indicators, against the
liveness endpoint (the framework's own floor) measured the same way in the same run.

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
from services.access import Principal, Role

CLIENTS = 32
PASSWORD = "a long benchmark password"
ROOT = Path(__file__).parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


def run(per_client: int = 20, history: int = 1500) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="kentra-bench-") as directory:
        [tenant_id] = new_tenant_ids(1)
        listed = tenants_file(Path(directory), [tenant_id])
        with platform(Path(directory), [tenant_id], tenants=listed) as kentra:
            user = f"coord.{tenant_id}"
            kentra.accounts.add(Principal(user, Role.COORDINATOR, frozenset({tenant_id})), PASSWORD)
            casework = kentra.casework(tenant_id)
            commands = list(islice(DemoHistory(kentra.registry.tenant(tenant_id), TODAY).commands(), history))
            for start in range(0, len(commands), 500):
                casework.execute_many(commands[start : start + 500])
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
                server_peak = peak_of(server.pid)
            finally:
                server.terminate()
                server.wait(timeout=20)
                errors = [
                    line
                    for line in (Path(directory) / "server.log").read_text(errors="replace").splitlines()
                    if '"level": "error"' in line or "Traceback" in line or "ERROR" in line
                ]
    for name, measured in (("recording an intake", recording), ("reading indicators", reading)):
        results.append(
            Result(
                "http",
                f"{name}, {CLIENTS} clients, p99",
                measured["p99"],
                "ms",
                "GET /health/live, same clients",
                floor["p99"],
                "p99 < 50 ms",
                measured["p99"] < 50 and not measured["failures"],
                f"{measured['rps']:.0f} requests/s (floor {floor['rps']:.0f}); p50 {measured['p50']:.1f} ms;"
                f" {len(measured['failures'])} failures ({sorted(set(measured['failures']))})",
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
            "API process (kentra serve), peak memory",
            server_peak,
            "MB",
            target="< 500 MB",
            met=server_peak < 500,
        )
    )
    return results
