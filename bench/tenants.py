"""Hundreds of tenants on one PostgreSQL (issue 22, part 7): how long provisioning takes, each
process's connections and memory, the API's p50/p99 for a tenant's indicators and for recording an
intake, and how long a worker replica takes over a SIGKILLed one's tenants, at 4, 50 and 330 tenants.

Everything happens in a database of its own (``kentra_bench``, made by the superuser and dropped at
the end with the tenants' roles), capped with CONNECTION LIMIT: a process that wants more
connections than the server has is refused by that database, not by the shared server that every
other user of it needs. The 4-tenant figures are the baseline of the 50 and 330 ones, in the same run.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import shutil
import tempfile
import threading
from functools import partial
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx

from bench.common import BENCH_MASTER_KEY, Result, intake_body, tenants_file, timed
from bench.http import _free_port
from bench.tenants_probe import (
    LOGS,
    Watch,
    guarded,
    idle_cpu,
    last_error,
    load,
    memory_mb,
    refusals,
    start,
    stop,
    wait_live,
)
from bench.tenants_report import results
from bench.tenants_setup import (
    DATABASE,
    PASSWORD,
    PREFIX,
    Urls,
    add_coordinators,
    bench_database,
    provision,
    sample,
)
from bench.tenants_takeover import measure_workers
from infra.settings import Settings

CLIENTS = 4
_serials = itertools.count()
_serial_lock = threading.Lock()


def _intake() -> dict[str, Any]:
    with _serial_lock:
        serial = next(_serials)
    return intake_body(serial)


def _clients(url: str, sampled: list[str], seconds: float) -> dict[str, Any]:
    """The coordinators of ``sampled`` sign in; then the liveness floor, intakes and indicators."""
    tokens = {}
    for tenant_id in sampled:
        answer = httpx.post(
            f"{url}/api/v1/auth/token", data={"username": f"coord.{tenant_id}", "password": PASSWORD}, timeout=60
        )
        answer.raise_for_status()
        tokens[tenant_id] = {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def tenant(client: int, n: int) -> str:
        return sampled[(client + n * CLIENTS) % len(sampled)]

    def intake(http: httpx.Client, client: int, n: int) -> httpx.Response:
        tid = tenant(client, n)
        return http.post(f"/api/v1/tenants/{tid}/beneficiaries", json=_intake(), headers=tokens[tid])

    def indicators(http: httpx.Client, client: int, n: int) -> httpx.Response:
        tid = tenant(client, n)
        period = {"from": "2025-01-01", "to": "2025-06-30"}
        return http.get(f"/api/v1/tenants/{tid}/indicators", params=period, headers=tokens[tid])

    return {
        "floor": load(url, CLIENTS, seconds, lambda http, c, n: http.get("/health/live")),
        "recording": load(url, CLIENTS, seconds, intake),
        "indicators": load(url, CLIENTS, seconds, indicators),
    }


def measure_api(env: dict[str, str], urls: Urls, logs: Path, sampled: list[str], seconds: float) -> dict[str, Any]:
    """`kentra serve` alone: start-up, idle connections and CPU, then the clients' latencies."""
    port = _free_port()
    log = logs / "serve.log"
    server = start(["serve", "--port", str(port)], env, log)
    url = f"http://127.0.0.1:{port}"
    watch = Watch(urls.superuser, DATABASE, urls.port, {"api": server.pid})
    try:
        ready = wait_live(url, server)
        watch.settle()
        cpu = idle_cpu(server.pid)
        idle = watch.samples["api"].connections
        clients = guarded(partial(_clients, url, sampled, seconds))  # connections are a figure even then
        watch.sample()
        _, peak = memory_mb(server.pid)
        alive = server.poll() is None
    finally:
        watch.close()
        stop(server)
    found = watch.samples["api"]
    return {
        "ready_s": ready,
        "idle_connections": idle,
        "connections": found.connections,
        "kinds": found.kinds,
        "peak_mb": max(peak, found.peak_mb),
        "idle_cpu": cpu,
        **({"load_error": clients["error"]} if "error" in clients else clients),
        "refusals": refusals(log),
        "stopped": "" if alive else last_error(log),
    }


def _size(
    directory: Path, urls: Urls, ids: list[str], done: int, coordinators: set[str], *, seconds: float, lease: float
) -> dict[str, Any]:
    """Provision up to ``len(ids)`` tenants (the first ``done`` are there), then measure every process."""
    size = len(ids)
    listed = tenants_file(directory, ids, shipped=False, name=f"tenants-{size}.toml")
    provisioning, _ = timed(partial(provision, directory, listed, urls, ids[done:]))
    sampled = sample(ids)
    add_coordinators(directory, listed, urls, [t for t in sampled if t not in coordinators])
    coordinators |= set(sampled)
    env = _env(directory, listed, urls)
    logs = LOGS / str(size)  # the processes' logs, kept for reading after the run (synthetic tenants only)
    logs.mkdir(parents=True, exist_ok=True)
    return {
        "added": size - done,
        "provision_s": provisioning,
        "api": guarded(partial(measure_api, env, urls, logs, sampled, seconds)),
        **measure_workers(env, urls, logs, ids, lease),
    }


def run(sizes: tuple[int, ...] = (4, 50, 330), seconds: float = 3.0) -> list[Result]:
    """Each size in turn on the same database, the tenants of the smaller sizes kept."""
    run_id = uuid4().hex[:6]
    shutil.rmtree(LOGS, ignore_errors=True)
    ids = [f"{PREFIX}-{run_id}-{n}" for n in range(max(sizes))]
    settings = Settings()  # as the processes read it, from the same environment
    lease_seconds = settings.worker_lease_seconds
    # What one process may hold since issue 22: its two pools (SQLAlchemy's and the event store's
    # psycopg pool) of db_pool_size + db_max_overflow each, and the connection that LISTENs for events.
    bound = 2 * (settings.db_pool_size + settings.db_max_overflow) + 1
    figures: dict[int, dict[str, Any]] = {}
    try:
        with bench_database(run_id) as urls, tempfile.TemporaryDirectory(prefix="kentra-bench-") as where:
            done, coordinators = 0, set[str]()
            for size in sorted(sizes):
                figures[size] = _size(
                    Path(where), urls, ids[:size], done, coordinators, seconds=seconds, lease=lease_seconds
                )
                done = size
    except LookupError as error:
        return [Result("tenants", "hundreds of tenants", float("nan"), "", notes=f"skipped: {error}")]
    return results(figures, urls.cap, lease_seconds, bound)


def _env(directory: Path, listed: Path, urls: Urls) -> dict[str, str]:
    """The processes' environment. Since `kentra migrate` is the only DDL command (issue 22, part 5)
    they get the application's URL only, as in production; before, `kentra serve` needed the owner's."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "KENTRA_DATABASE_OWNER_URL"},
        "KENTRA_DATA_DIR": str(directory),
        "KENTRA_MASTER_KEY": BENCH_MASTER_KEY,
        "KENTRA_TENANTS_FILE": str(listed),
        "KENTRA_DATABASE_URL": urls.app,
        "KENTRA_LOG_LEVEL": "WARNING",
    }
    if importlib.util.find_spec("infra.schema_version") is None:
        env["KENTRA_DATABASE_OWNER_URL"] = urls.owner
    return env
