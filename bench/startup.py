"""How much CPU `kentra version` and `kentra --help` cost, against `python -c pass` in the same run.

Each command runs as a child of this process, the way the console script runs it, several times
and interleaved with the baseline (the machine's speed drifts within minutes); the figure is the
child's user+sys CPU time from ``os.wait4``, which wall-clock noise from the other processes on the
two cores does not inflate. The notes give the minimum and how many modules the command imports
(``-X importtime``).

    python -m bench.startup [RUNS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench.common import Result

ROOT = Path(__file__).parents[1]
# What the console script `kentra` runs (pyproject.toml [project.scripts]), without needing it installed.
KENTRA = [sys.executable, "-c", "import sys; from gateways.cli import main; sys.exit(main())"]
BASELINE = [sys.executable, "-c", "pass"]
COMMANDS = {"kentra version": ["version"], "kentra --help": ["--help"]}


def cpu_seconds(argv: list[str]) -> float:
    """The user+sys CPU time of one run of ``argv`` (which must succeed), in seconds."""
    child = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {child.returncode}")
    return usage.ru_utime + usage.ru_stime


def modules_imported(argv: list[str]) -> int:
    """How many modules a run of ``argv`` imports, Python's own start included (``-X importtime``)."""
    traced = [argv[0], "-X", "importtime", *argv[1:]]
    stderr = subprocess.run(traced, cwd=ROOT, capture_output=True, text=True, check=True).stderr
    return sum(1 for line in stderr.splitlines() if line.startswith("import time:") and "imported package" not in line)


def run(runs: int = 7) -> list[Result]:
    """Time each command ``runs`` times, interleaved with as many runs of the baseline."""
    samples: dict[str, list[float]] = {name: [] for name in ("baseline", *COMMANDS)}
    cpu_seconds([*KENTRA, "version"])  # warm the file cache and write the bytecode before anything counts
    for _ in range(runs):
        samples["baseline"].append(cpu_seconds(BASELINE))
        for name, args in COMMANDS.items():
            samples[name].append(cpu_seconds([*KENTRA, *args]))
    baseline = statistics.median(samples["baseline"]) * 1000
    baseline_modules = modules_imported(BASELINE)
    results = []
    for name, args in COMMANDS.items():
        median = statistics.median(samples[name]) * 1000
        results.append(
            Result(
                "startup",
                f"{name}, CPU (user+sys), median",
                median,
                "ms",
                "python -c pass, same run",
                baseline,
                "",
                None,
                f"min {min(samples[name]) * 1000:.0f} ms (baseline {min(samples['baseline']) * 1000:.0f} ms),"
                f" {runs} runs; {modules_imported([*KENTRA, *args]):,} modules imported ({baseline_modules} by python)",
                {
                    "samples_ms": [s * 1000 for s in samples[name]],
                    "baseline_ms": [s * 1000 for s in samples["baseline"]],
                },
            )
        )
    return results


if __name__ == "__main__":
    for result in run(int(sys.argv[1]) if len(sys.argv) > 1 else 7):
        print(f"{result.figure}: {result.value:.0f} ms (python -c pass {result.baseline_value:.0f} ms); {result.notes}")
