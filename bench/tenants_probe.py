"""What `bench.tenants` measures on a running process: its PostgreSQL connections (the backends in
pg_stat_activity whose client port is one of the process's sockets), its resident memory, and the
latencies of a few HTTP clients for a few seconds."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.common import percentile

ROOT = Path(__file__).parents[1]
LOGS = ROOT / "var" / "bench" / "tenants-logs"


def client_ports(pid: int, server_port: int) -> set[int]:
    """The local ports of ``pid``'s established TCP connections to ``server_port`` (from /proc)."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue  # closed meanwhile
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return set()  # the process is gone
    ports = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if state == "01" and inode in inodes and int(remote.rsplit(":", 1)[1], 16) == server_port:
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


def memory_mb(pid: int) -> tuple[float, float]:
    """A live process's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    values = {"VmRSS": float("nan"), "VmHWM": float("nan")}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key = line.split(":", 1)[0]
            if key in values:
                values[key] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return values["VmRSS"], values["VmHWM"]


def cpu_seconds(pid: int) -> float:
    """User and system CPU a live process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu(pid: int, seconds: float = 3.0) -> float:
    """Cores the process keeps busy while nobody asks it anything (its followers' polling)."""
    before, began = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.monotonic() - began)


def guarded(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A measurement's figures, or what stopped it (today's code may run out of connections)."""
    try:
        return work()
    except Exception as error:  # reported as the finding, not raised: the other sizes still run
        return {"error": f"{type(error).__name__}: {str(error).splitlines()[0][:160] if str(error) else ''}"}


def alive(pid: int) -> bool:
    """Whether the process runs (a child that ended but was not waited for is a zombie, not alive)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def last_error(log: Path) -> str:
    """The last line of a process's log that names an error, cut short (the bench's own tenants only)."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    errors = [line for line in lines if "Error" in line or "error" in line or "FATAL" in line]
    return (errors or lines or [""])[-1].strip()[:200]


def _kind(usename: str, application_name: str, query: str) -> str:
    """Whose connection a backend is: a tenant's role or chain role (before issue 22), the
    application's pooled connections (named ``kentra:<pid>`` since), or the one that LISTENs."""
    if usename.startswith("kentra_t_"):
        return "tenant roles"
    if usename.startswith("kentra_c_"):
        return "chain roles"
    if query.lstrip().upper().startswith("LISTEN"):
        return f"{usename} LISTEN" + ("" if application_name else " (no application_name)")
    if application_name.startswith("kentra:"):
        return f"{usename} as kentra:<pid>"
    return usename + (f" as {application_name}" if application_name else "")


@dataclass
class Sample:
    """The most connections a process held at once, by kind at that moment, and its memory."""

    connections: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    rss_mb: float = 0.0
    peak_mb: float = 0.0


class Watch:
    """Samples the given processes' backends and memory twice a second until stopped."""

    def __init__(self, superuser_url: str, database: str, pg_port: int, pids: dict[str, int]) -> None:
        self.samples = {name: Sample() for name in pids}
        self.history: list[dict[str, int]] = []
        self._conn = psycopg.connect(superuser_url, autocommit=True, application_name="kentra-bench-watch")
        self._database, self._port, self._pids = database, pg_port, pids
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kentra-bench-watch", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            self.sample()

    def sample(self) -> dict[str, int]:
        rows = self._conn.execute(
            "SELECT client_port, usename, application_name, query FROM pg_stat_activity WHERE datname = %s",
            (self._database,),
        ).fetchall()
        now = {}
        for name, pid in self._pids.items():
            ports = client_ports(pid, self._port)
            kinds = Counter(_kind(u or "", a or "", q or "") for port, u, a, q in rows if port in ports)
            count = sum(kinds.values())
            now[name] = count
            sample = self.samples[name]
            if count >= sample.connections:
                sample.connections, sample.kinds = count, dict(kinds)
            rss, peak = memory_mb(pid)
            if not math.isnan(rss):  # the process is alive
                sample.rss_mb, sample.peak_mb = rss, max(sample.peak_mb, peak)
        self.history.append(now)
        return now

    def settle(self, *, quiet: float = 3.0, timeout: float = 60.0) -> float:
        """Wait until every process holds connections and none changed for ``quiet`` seconds; the
        seconds waited (``timeout`` if they never settled)."""
        began = time.monotonic()
        seen, since = None, time.monotonic()
        while time.monotonic() - began < timeout:
            now = self.history[-1] if self.history else None
            if now != seen:
                seen, since = now, time.monotonic()
            elif now and all(now.values()) and time.monotonic() - since >= quiet:
                break
            if not all(alive(pid) for pid in self._pids.values()):
                break  # a process stopped: what it held is the figure, with its log's last words
            time.sleep(0.5)
        return time.monotonic() - began

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._conn.close()


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A `kentra` command as its own process, its output in ``log``."""
    return subprocess.Popen(
        [sys.executable, "-m", "gateways.cli", *argv],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )


def stop(process: subprocess.Popen[bytes], *, kill: bool = False) -> None:
    """SIGTERM (or SIGKILL), then wait; a process that will not stop is killed."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def refusals(log: Path) -> int:
    """How many lines of the process's log say PostgreSQL refused it a connection (or the chain
    follower lost a round to a connection error, which it logs by the error's name only)."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    marks = ("too many connections", "remaining connection slots", "OperationalError")
    return sum(any(m in line for m in marks) for line in lines)


def wait_live(url: str, process: subprocess.Popen[bytes], timeout: float = 120.0) -> float:
    """Seconds until ``url``/health/live answers; raises if the process ended or time ran out."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"the process ended with {process.returncode} before answering")
        try:
            httpx.get(f"{url}/health/live", timeout=1)
            return time.monotonic() - began
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"no answer from {url} in {timeout:.0f} s")


def load(
    url: str, clients: int, seconds: float, request: Callable[[httpx.Client, int, int], httpx.Response]
) -> dict[str, Any]:
    """``clients`` threads sending ``request`` one after another for ``seconds``: rate, p50, p99, failures."""
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client(number: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            mine, bad, n = [], [], 0
            barrier.wait()
            while time.perf_counter() < deadline[0]:
                began = time.perf_counter()
                try:
                    status = request(http, number, n).status_code
                except httpx.TransportError:
                    status = 0  # the connection failed: counted, not hidden
                mine.append((time.perf_counter() - began) * 1000)
                if status == 0 or status >= 400:
                    bad.append(status)
                n += 1
            with lock:
                latencies.extend(mine)
                failures.extend(bad)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": percentile(latencies, 50) if latencies else float("nan"),
        "p99": percentile(latencies, 99) if latencies else float("nan"),
        "failures": failures,
    }
