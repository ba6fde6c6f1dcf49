"""`uv build` makes a wheel that installs into a fresh venv and runs the demo (issue 22, part 6).

Marked ``slow``: it builds the wheel, installs it with its locked dependencies (from uv's cache when
it can, from PyPI otherwise), and records one municipality's demo history from the installed
package, in a directory far from the checkout.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
UV = ROOT / ".cache/bootstrap/bin/uv"
PACKAGES = ("domain", "services", "projections", "gateways", "infra", "demo")
# The files beside the code that the installed package reads: each must be in the wheel once.
DATA = (
    "infra/data/",
    "infra/migrations/",
    "gateways/web/templates/",
    "gateways/web/static/",
    "gateways/kafka/kentra.events.v1.schema.json",
)

pytestmark = pytest.mark.slow


def uv(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(UV), *args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not UV.exists():
        pytest.skip("no .cache/bootstrap/bin/uv: run scripts/setup")
    out = tmp_path_factory.mktemp("dist")
    built = uv("build", "--wheel", "--out-dir", str(out))
    assert built.returncode == 0, built.stderr
    (found,) = out.glob("kentra-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("venv")
    made = uv("venv", "--quiet", "--python", sys.executable, str(root / "venv"))
    assert made.returncode == 0, made.stderr
    python = root / "venv/bin/python"
    locked = root / "requirements.txt"
    exported = uv("export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes", "--quiet", "-o", str(locked))
    assert exported.returncode == 0, exported.stderr
    install = ("pip", "install", "--quiet", "--python", str(python), "-r", str(locked), str(wheel))
    installed = uv(*install, "--offline")  # from uv's cache, as scripts/setup filled it
    if installed.returncode != 0:
        installed = uv(*install)  # a cache that lacks a package: PyPI
    assert installed.returncode == 0, installed.stderr
    return root / "venv"


def tracked(prefix: str) -> set[str]:
    """The files git holds under ``prefix`` (what the wheel must carry)."""
    listed = subprocess.run(["git", "ls-files", prefix], cwd=ROOT, capture_output=True, text=True, check=True)
    return {line for line in listed.stdout.splitlines() if not line.endswith(".py")}


def test_the_wheel_holds_every_data_file_exactly_once(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    twice = [name for name, count in Counter(names).items() if count > 1]
    assert twice == []
    for prefix in DATA:
        expected = tracked(prefix)
        assert expected, prefix
        assert {name for name in names if name.startswith(prefix) and not name.endswith(".py")} == expected
    assert "infra/data/tenants.toml" in names
    assert any(name.startswith("infra/migrations/versions/") for name in names)
    assert {name.split("/")[0] for name in names if not name.startswith("kentra-")} == set(PACKAGES)


def test_the_wheel_says_which_pythons_it_supports_and_needs_tzdata(wheel: Path) -> None:
    metadata = next(
        zipfile.ZipFile(wheel).read(name).decode()
        for name in zipfile.ZipFile(wheel).namelist()
        if name.endswith(".dist-info/METADATA")
    )
    assert "Requires-Python: <3.14,>=3.11" in metadata
    for version in ("3.11", "3.12", "3.13"):
        assert f"Classifier: Programming Language :: Python :: {version}" in metadata
    # Europe/Athens must resolve where the system has no zoneinfo database (slim images, Windows).
    assert any(line.startswith("Requires-Dist: tzdata") for line in metadata.splitlines())
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    assert lock["requires-python"] == ">=3.11, <3.14"


def test_the_installed_wheel_runs_from_anywhere_and_its_demo_records_a_municipality(venv: Path, tmp_path: Path) -> None:
    kentra = venv / "bin/kentra"
    helped = subprocess.run([str(kentra), "--help"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert helped.returncode == 0, helped.stderr
    assert "demo" in helped.stdout
    where = subprocess.run(
        [str(venv / "bin/python"), "-c", "import infra; print(infra.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(venv))  # the installed package, not the checkout
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "KENTRA_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}
    demo = subprocess.run(
        [str(kentra), "demo", "--no-serve", "--tenant", "tyrnavos"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert "tyrnavos" in demo.stdout
    # The embedded store, under the data directory given: the log, and the Region's figures of it.
    assert (tmp_path / "data/tenants/tyrnavos/events.sqlite").is_file()
    assert (tmp_path / "data/regions/thessaly/tyrnavos.sqlite").is_file()


def test_the_installed_athens_clock_works_where_the_system_has_no_zoneinfo(venv: Path, tmp_path: Path) -> None:
    # PYTHONTZPATH names an empty directory: zoneinfo then finds Europe/Athens only in the tzdata package.
    (tmp_path / "no-zoneinfo").mkdir()
    offsets = subprocess.run(
        [
            str(venv / "bin/python"),
            "-c",
            "from datetime import datetime; from domain.clock import ATHENS; "
            "print(*(datetime(2025, month, 15, 12, tzinfo=ATHENS).utcoffset() for month in (1, 7)))",
        ],
        cwd=tmp_path,
        env={"PYTHONTZPATH": str(tmp_path / "no-zoneinfo"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert offsets.returncode == 0, offsets.stderr
    assert offsets.stdout.split() == ["2:00:00", "3:00:00"]  # winter and summer time in Greece
