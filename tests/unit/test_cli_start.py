"""`kentra --help` and `kentra version` start without the heavy libraries: they answer in a fraction
of a second, where loading the web stack, PDF, charts and the stores cost seconds of CPU each time.

Each command runs in a fresh interpreter, as the console script runs it, which then names every
top-level package it had loaded; none may be one of those below. (The time itself is measured by
bench/startup.py, never asserted.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
HEAVY = {
    "fastapi": "web",
    "starlette": "web",
    "uvicorn": "web",
    "jinja2": "web pages",
    "fpdf": "PDF",
    "matplotlib": "charts",
    "openpyxl": "spreadsheets",
    "alembic": "migrations",
    "sqlalchemy": "database",
    "kafka": "Kafka",
    "cryptography": "cryptography",
    "highspy": "linear programming (disclosure control)",
}
# What the console script `kentra` does (`from gateways.cli import main`), then the loaded packages on a last line.
PROBE = """
import json, sys
from gateways.cli import main
sys.argv = ["kentra", *sys.argv[1:]]
try:
    main()
except SystemExit as stop:
    code = stop.code
print()
print(json.dumps({"code": code, "packages": sorted({name.split(".")[0] for name in sys.modules})}))
"""


def loaded_by(*args: str) -> tuple[int, str, set[str]]:
    """Run ``kentra ARGS`` in a fresh interpreter: its exit code, what it printed, the packages it loaded."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    printed, _, last = done.stdout.rstrip("\n").rpartition("\n")
    probe = json.loads(last)
    return probe["code"], printed, set(probe["packages"])


@pytest.mark.parametrize(("args", "expected"), [(["version"], version("kentra")), (["--help"], "Usage: kentra")])
def test_kentra_version_and_help_load_no_web_pdf_chart_spreadsheet_migration_or_store_library(
    args: list[str], expected: str
) -> None:
    code, printed, packages = loaded_by(*args)
    assert code in (0, None)
    assert expected in printed
    assert {name: HEAVY[name] for name in sorted(packages & set(HEAVY))} == {}
