"""The rows `bench.tenants` prints: each size's figures beside the smallest size's, from the same run."""

from __future__ import annotations

from typing import Any

from bench.common import Result

NAN = float("nan")


def _kinds(found: dict[str, Any]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(found.get("kinds", {}).items(), key=lambda kv: -kv[1]))


def _connections(
    name: str, size: int, found: dict[str, Any], base: dict[str, Any] | None, *, cap: int, bound: int
) -> Result:
    figure = f"{name}, connections at {size} tenants"
    if "error" in found:
        return Result("tenants", figure, NAN, "", notes=f"failed: {found['error']}")
    value = float(found["connections"])
    refused = found["refusals"]
    notes = _kinds(found)
    if refused:
        notes += f"; {refused} log lines of refused connections (the database's limit is {cap})"
    if found.get("stopped"):
        notes += f"; the process stopped: {found['stopped']}"
    if "idle_connections" in found:
        notes += f"; {found['idle_connections']} before the clients; answered after {found['ready_s']:.1f} s"
    target = f"<= {bound} (two pools and a listener), flat"
    met = value <= bound and not refused
    if base is None or "error" in base:
        return Result("tenants", figure, value, "connections", target=target, met=met, notes=notes)
    return Result(
        "tenants",
        figure,
        value,
        "connections",
        f"the same process at {base['size']} tenants",
        float(base["connections"]),
        target,
        met,
        notes,
    )


def _memory(name: str, size: int, found: dict[str, Any], base: dict[str, Any] | None) -> Result | None:
    if "error" in found:
        return None
    value = found["peak_mb"]
    notes = f"idle CPU {found['idle_cpu']:.2f} cores"
    if base is None or "error" in base:
        figure = f"{name}, peak memory at {size} tenants"
        return Result("tenants", figure, value, "MB", target="< 500 MB", met=value < 500, notes=notes)
    return Result(
        "tenants",
        f"{name}, peak memory at {size} tenants",
        value,
        "MB",
        f"the same process at {base['size']} tenants",
        base["peak_mb"],
        "< 500 MB",
        value < 500,
        notes + f" (at {base['size']}: {base['idle_cpu']:.2f})",
    )


def _latency(what: str, key: str, size: int, api: dict[str, Any], base: dict[str, Any] | None) -> Result:
    figure = f"{what} at {size} tenants, p99"
    if "error" in api or "load_error" in api:
        return Result("tenants", figure, NAN, "ms", notes=f"failed: {api.get('error') or api['load_error']}")
    measured = api[key]
    if base is None or "error" in base or "load_error" in base:
        baseline, base_value = "GET /health/live, same clients", api["floor"]["p99"]
    else:
        baseline, base_value = f"p99 at {base['size']} tenants", base[key]["p99"]
    failures = measured["failures"]
    return Result(
        "tenants",
        figure,
        measured["p99"],
        "ms",
        baseline,
        base_value,
        notes=f"p50 {measured['p50']:.1f} ms; {measured['rps']:.0f} requests/s, {measured['requests']} in all;"
        f" {len(failures)} failures{f' {sorted(set(failures))}' if failures else ''}",
        extra={"p50_ms": measured["p50"], "rps": measured["rps"]},
    )


def _takeover(size: int, found: dict[str, Any], lease_seconds: float) -> Result:
    figure = f"worker replica takes over a SIGKILLed one's tenants, at {size} tenants"
    if "skipped" in found or "error" in found:
        reason = found.get("skipped") or f"failed: {found['error']}"
        return Result("tenants", figure, NAN, "s", notes=reason)
    return Result(
        "tenants",
        figure,
        found["seconds"],
        "s",
        "the lease's length (KENTRA_WORKER_LEASE_SECONDS)",
        lease_seconds,
        "within seconds (< 2 leases)",
        found["seconds"] < 2 * lease_seconds,
        f"the killed replica held {found['held_by_killed']} of {size}, the second the others",
    )


def results(figures: dict[int, dict[str, Any]], cap: int, lease_seconds: float, bound: int) -> list[Result]:
    """Provisioning, connections, memory, latencies and take-over for each size, smallest first."""
    sizes = sorted(figures)
    smallest = sizes[0]
    out: list[Result] = []
    per_tenant = {s: figures[s]["provision_s"] / max(figures[s]["added"], 1) for s in sizes}
    for size in sizes:
        found = figures[size]
        base = None if size == smallest else figures[smallest]
        out.append(
            Result(
                "tenants",
                f"provisioning, seconds per tenant (to {size} tenants)",
                per_tenant[size],
                "s",
                f"per tenant up to {smallest}" if base else "",
                per_tenant[smallest] if base else None,
                notes=f"{found['added']} tenants added in {found['provision_s']:.1f} s",
            )
        )
        for name, key in (("API (kentra serve)", "api"), ("worker (projections run)", "worker")):
            mine = found[key]
            theirs = {**base[key], "size": smallest} if base else None
            out.append(_connections(name, size, mine, theirs, cap=cap, bound=bound))
            memory = _memory(name, size, mine, theirs)
            if memory is not None:
                out.append(memory)
        api_base = {**base["api"], "size": smallest} if base else None
        out.append(_latency("reading indicators", "indicators", size, found["api"], api_base))
        out.append(_latency("recording an intake", "recording", size, found["api"], api_base))
        out.append(_takeover(size, found["takeover"], lease_seconds))
    return out
