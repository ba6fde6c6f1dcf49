"""Print a run's figures (the JSON `bench/run` writes) as a Markdown table, for docs/performance.md.

.venv/bin/python -m bench.report var/bench/latest.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return ""
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{text} {unit}".strip()


def table(document: dict[str, Any]) -> str:
    lines = [
        "| bench | figure | value | baseline (same run) | ratio | target | met | notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in document["results"]:
        baseline = f"{_number(r['baseline_value'], r['unit'])} ({r['baseline']})" if r["baseline_value"] else ""
        met = {True: "yes", False: "**no**", None: ""}[r["met"]]
        ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else ""
        notes = r["notes"].replace("|", "/")
        lines.append(
            f"| {r['bench']} | {r['figure']} | {_number(r['value'], r['unit'])} | {baseline} | {ratio} |"
            f" {r['target']} | {met} | {notes} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    doc = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    print(f"Run {doc['when']} at scale `{doc['scale']}` on {doc['machine']}\n")
    print(table(doc))
