"""`kentra serve --workers 2` on PostgreSQL (issue 24): two API processes answer on one port, the
metrics port sums their counts, and the audit chain follower runs once, in the supervisor."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import service_url
from tests.e2e.test_chain_follower import PASSWORD, ROOT, platform
from tests.e2e.test_serve import free_port

pytestmark = pytest.mark.integration
WORKERS = ("--workers", "2")
INDICATORS = (
    r'kentra_http_requests_total\{method="GET",route="/api/v1/tenants/\{tenant\}/indicators",status="200"\} (\S+)'
)
DEADLINE_SECONDS = 180  # generous: a loaded machine starts processes slowly; never decides the outcome


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def answering_pids(owner_url: str, candidates: set[int]) -> set[int]:
    """The processes among ``candidates`` holding connections to PostgreSQL (named ``kentra:<pid>``)."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        names = [row[0] for row in conn.execute("SELECT application_name FROM pg_stat_activity").fetchall()]
    pids = {int(m.group(1)) for name in names if (m := re.fullmatch(r"kentra:(\d+)", name or ""))}
    return pids & candidates


def chain_members(owner_url: str, candidates: set[int]) -> list[int]:
    """The pids of the live chain followers (lease members of kind "chain") among ``candidates``."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        holders = [r[0] for r in conn.execute("SELECT holder FROM kentra_platform.worker_members WHERE kind = 'chain'")]
    return sorted(int(h.split(":")[1]) for h in holders if int(h.split(":")[1]) in candidates)


def test_two_processes_answer_on_one_port_and_the_chain_follower_runs_once(tmp_path: Path) -> None:
    env, tenant = platform("postgres", tmp_path)
    env["KENTRA_LOG_LEVEL"] = "INFO"
    owner = service_url("KENTRA_TEST_DATABASE_OWNER_URL")
    port, metrics = free_port(), free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "gateways.cli", "serve", "--port", str(port), "--metrics-port", str(metrics), *WORKERS],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
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
            assert time.monotonic() < deadline, "kentra serve --workers 2 did not become ready"
            time.sleep(0.2)
        token = httpx.post(f"{base}/api/v1/auth/token", data={"username": f"coord.{tenant}", "password": PASSWORD})
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        url = f"{base}/api/v1/tenants/{tenant}/indicators"
        period = {"from": "2024-01-01", "to": "2024-06-30"}

        def ask(_: int) -> int:
            with httpx.Client(timeout=30) as fresh:  # a connection of its own: either process may accept it
                return fresh.get(url, params=period, headers=auth).status_code

        sent, served_by = 0, set[int]()
        with ThreadPoolExecutor(8) as pool:
            while len(served_by) < 2 and sent < 800:  # until both processes have answered (a bound, not a time)
                assert set(pool.map(ask, range(40))) == {200}
                sent += 40
                served_by = answering_pids(owner, children(server.pid))
        assert len(served_by) == 2, f"one process answered all {sent} requests"
        scraped = httpx.get(f"http://127.0.0.1:{metrics}/metrics", timeout=10).text
        counted = re.search(INDICATORS, scraped)
        assert counted is not None
        assert float(counted.group(1)) == sent  # both processes' counts, summed
        everyone = {server.pid, *children(server.pid)}
        while not chain_members(owner, everyone):
            assert time.monotonic() < deadline, "no chain follower joined"
            time.sleep(0.2)
        assert chain_members(owner, everyone) == [server.pid]  # the supervisor's, none in the API processes
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    started = (tmp_path / "serve.log").read_text(errors="replace").count("chain follower started")
    assert started == 1
