"""How long a `kentra projections run` replica takes over a SIGKILLed one's tenants, read from the
lease table (``kentra_platform.worker_leases``, issue 22 part 2): one replica first takes every
tenant, a second one starts, the first is killed, and the clock runs until every tenant it held is
held, unexpired, by the other."""

from __future__ import annotations

import contextlib
import subprocess
import time
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from bench.tenants_probe import Watch, guarded, idle_cpu, last_error, refusals, start, stop
from bench.tenants_setup import DATABASE, Urls

TABLE = "kentra_platform.worker_leases"


def _column(names: list[str], *candidates: str) -> str | None:
    return next((c for c in candidates if c in names), None)


def leases(conn: psycopg.Connection[Any]) -> dict[str, str] | None:
    """Each tenant's live holder of a projections lease (expired leases left out); None without the table."""
    row = conn.execute("SELECT to_regclass(%s)", (TABLE,)).fetchone()
    if row is None or row[0] is None:
        return None
    # The lease part keeps times as seconds since the epoch by the database's clock: compared the same way.
    cursor = conn.execute(
        f"SELECT *, now() AS bench_now, extract(epoch FROM clock_timestamp())::float8 AS bench_epoch FROM {TABLE}"
    )
    names = [d.name for d in cursor.description or []]
    tenant = _column(names, "tenant_id", "tenant")
    holder = _column(names, "holder", "holder_id", "owner", "worker", "replica")
    expires = _column(names, "expires_at", "expires", "held_until", "until")
    kind = _column(names, "kind", "worker_kind", "role", "purpose", "name")
    if tenant is None or holder is None:
        raise LookupError(f"{TABLE} has no tenant or holder column the bench knows: {names}")
    held = {}
    for values in cursor.fetchall():
        lease = dict(zip(names, values, strict=True))
        if kind and "projection" not in str(lease[kind]):
            continue
        until = lease[expires] if expires else None
        if until is not None and until <= lease["bench_epoch" if isinstance(until, float) else "bench_now"]:
            continue
        if lease[holder]:
            held[str(lease[tenant])] = str(lease[holder])
    return held


def _until(conn: psycopg.Connection[Any], done: Any, timeout: float) -> tuple[float, dict[str, str]]:
    began = time.monotonic()
    held: dict[str, str] = {}
    while time.monotonic() - began < timeout:
        held = leases(conn) or {}
        if done(held):
            return time.monotonic() - began, held
        time.sleep(0.1)
    raise TimeoutError(f"not reached in {timeout:.0f} s ({len(held)} tenants held by {len(set(held.values()))})")


def _takeover(
    conn: psycopg.Connection[Any],
    env: dict[str, str],
    logs: Path,
    first: subprocess.Popen[bytes],
    ids: list[str],
    *,
    lease: float,
) -> dict[str, Any]:
    """With ``first`` following every tenant: a second replica, then ``first`` SIGKILLed; the seconds
    until the second holds every lease."""
    wanted = set(ids)
    taken, held = _until(conn, lambda h: wanted <= set(h) and len(set(h.values())) == 1, 120 + len(ids))
    [killed] = set(held.values())
    second = start(["projections", "run"], env, logs / "replica-b.log")
    try:
        # The second replica is up once it holds a lease or, if the first keeps all, after two lease periods.
        with contextlib.suppress(TimeoutError):
            _until(conn, lambda h: len(set(h.values())) > 1, 2 * lease + 60)
        held = leases(conn) or {}
        by_killed = sorted(t for t in wanted if held.get(t) == killed)
        stop(first, kill=True)
        seconds, after = _until(conn, lambda h: all(h.get(t) not in (None, killed) for t in wanted), 120)
    finally:
        stop(second)
    return {
        "seconds": seconds,
        "first_took_s": taken,
        "held_by_killed": len(by_killed),
        "holders_after": len(set(after.values())),
    }


def measure_workers(env: dict[str, str], urls: Urls, logs: Path, ids: list[str], lease: float) -> dict[str, Any]:
    """One `kentra projections run` alone (its connections once they stop changing, its memory and
    idle CPU); then, where the lease table exists, the take-over of its tenants by a second replica."""
    log = logs / "projections.log"
    first = start(["projections", "run"], env, log)
    watch = Watch(urls.superuser, DATABASE, urls.port, {"worker": first.pid})
    inside = make_url(urls.superuser).set(database=DATABASE).render_as_string(hide_password=False)
    try:
        settled = watch.settle(timeout=90)
        cpu = idle_cpu(first.pid)
        watch.sample()
        alive = first.poll() is None
        watch.close()
        found = watch.samples["worker"]
        worker = {
            "settled_s": settled,
            "connections": found.connections,
            "kinds": found.kinds,
            "peak_mb": found.peak_mb,
            "idle_cpu": cpu,
            "alive": alive,
            "stopped": "" if alive else last_error(log),
            "refusals": refusals(log),
        }
        with psycopg.connect(inside, autocommit=True, application_name="kentra-bench-leases") as conn:
            if leases(conn) is None:
                takeover = {"skipped": f"no {TABLE} in this code: the lease table of issue 22 part 2 has not landed"}
            elif not alive:
                takeover = {"skipped": "the first replica stopped"}
            else:
                takeover = guarded(partial(_takeover, conn, env, logs, first, ids, lease=lease))
    finally:
        watch.close()
        stop(first, kill=True)
    return {"worker": worker, "takeover": takeover}
