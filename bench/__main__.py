"""Run every benchmark on PostgreSQL and Kafka, print one table, and write the figures as JSON.

    bench/run [--scale quick|full] [--only NAME ...] [--json PATH]

Each figure is printed beside a baseline measured in the same run and, where the project set one,
its target (met or not). `quick` takes a few minutes; `full` grows the histories to the sizes the
targets speak of (a million events rebuilt, ten million events of history queried).
"""

from __future__ import annotations

import json
import platform as machine
import shutil
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bench import gateway, history, http, queries, recording, regions, startup, tenants
from bench.common import Result

SCALES: dict[str, dict[str, Any]] = {
    "quick": {
        "recording": 1000,
        "history": (10_000, 0),
        "queries": [10_000, 100_000, 1_000_000],
        "http": 20,
        "gateway": (3000, 400),
        "regions": [3],
        "startup": 7,
        "tenants": ((4, 50, 330), 3.0),
    },
    "full": {
        "recording": 5000,
        "history": (10_000, 1_000_000),
        "queries": [10_000, 100_000, 1_000_000, 10_000_000],
        "http": 50,
        "gateway": (20_000, 1200),
        "regions": [3, 10],
        "startup": 15,
        "tenants": ((4, 50, 330), 6.0),
    },
}
ROOT = Path(__file__).parents[1]


def _machine() -> dict[str, Any]:
    def first(command: list[str]) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "unknown"

    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        "unknown",
    )
    memory = next(
        line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {
        "cpu": model,
        "cores": len([line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("processor")]),
        "memory_gb": round(int(memory) / 1024 / 1024, 1),
        "python": machine.python_version(),
        "postgresql": first(["psql", "--version"]),
        "kernel": machine.release(),
        "commit": first(["git", "-C", str(ROOT), "describe", "--always", "--dirty"]),
    }


def main(
    scale: Annotated[str, typer.Option(help="quick (minutes) or full (the targets' sizes)")] = "quick",
    only: Annotated[
        list[str] | None, typer.Option(help="recording, history, queries, http, gateway, regions, startup, tenants")
    ] = None,
    json_path: Annotated[Path, typer.Option("--json", help="Where to write the figures")] = ROOT
    / "var"
    / "bench"
    / "latest.json",
) -> None:
    if scale not in SCALES:
        raise typer.BadParameter("quick or full", param_hint="--scale")
    sizes = SCALES[scale]
    plan: dict[str, Callable[[], list[Result]]] = {
        "recording": lambda: recording.run(sizes["recording"]),
        "history": lambda: history.run(*sizes["history"]),
        "queries": lambda: queries.run(sizes["queries"]),
        "http": lambda: http.run(per_client=sizes["http"]),
        "gateway": lambda: gateway.run(*sizes["gateway"]),
        "regions": lambda: regions.run(sizes["regions"]),
        "startup": lambda: startup.run(sizes["startup"]),
        "tenants": lambda: tenants.run(*sizes["tenants"]),
    }
    unknown = sorted(set(only or []) - set(plan))
    if unknown:
        raise typer.BadParameter(
            f"{', '.join(unknown)}: not a benchmark (one of {', '.join(plan)})", param_hint="--only"
        )
    console = Console(width=max(200, shutil.get_terminal_size().columns))
    results: list[Result] = []
    started, machine = datetime.now(UTC), _machine()  # the commit the run began at (commits may land meanwhile)
    for name, work in plan.items():
        if only and name not in only:
            continue
        began = time.perf_counter()
        console.print(f"{name}…")
        results += work()
        console.print(f"{name}: {time.perf_counter() - began:.0f} s")
    table = Table(title=f"Kentra benchmarks ({scale})")
    for column in ("bench", "figure", "value", "baseline (same run)", "ratio", "target", "met", "notes"):
        table.add_column(column, overflow="fold")
    for r in results:
        table.add_row(
            r.bench,
            r.figure,
            f"{r.value:,.1f} {r.unit}",
            f"{r.baseline_value:,.1f} ({r.baseline})" if r.baseline_value is not None else "",
            f"{r.ratio:.2f}" if r.ratio is not None else "",
            r.target,
            {True: "yes", False: "NO", None: ""}[r.met],
            r.notes,
        )
    console.print(table)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "when": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": scale,
        "machine": machine,
        "results": [r.as_dict() for r in results],
    }
    json_path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    console.print(f"figures written to {json_path}")


if __name__ == "__main__":
    typer.run(main)
