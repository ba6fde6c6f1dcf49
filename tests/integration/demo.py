"""The demo's data, built once per session, and how tests run commands against it as a newcomer would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from pydantic import SecretStr

from infra.bootstrap import Kentra, bootstrap
from infra.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def scratch_env(data_dir: Path, workdir: Path, pycache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KENTRA_")}
    # Bytecode goes to a directory of the session, never into the tree: each `kentra` starts 3x faster.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env["KENTRA_DATA_DIR"] = str(data_dir)
    env["COLUMNS"] = "200"
    env["PATH"] = f"{workdir / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def checkout_like(workdir: Path) -> Path:
    workdir.mkdir()
    for entry in REPO.iterdir():
        if entry.name not in {".git", ".venv", "var", "test-artefacts"}:
            (workdir / entry.name).symlink_to(entry)
    (workdir / ".venv").symlink_to(Path(sys.prefix))
    return workdir


def run(text: str, *, cwd: Path, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", text],
        cwd=cwd,
        env=env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=900,  # a guard against a command that never ends, not a measure
        check=False,
    )


def failure(where: str, result: subprocess.CompletedProcess[str], why: str) -> str:
    tail = "\n".join(part for part in (result.stderr.strip()[-1000:], result.stdout.strip()[-1000:]) if part)
    return f"{where}\n    {why}\n    " + tail.replace("\n", "\n    ")


def demo_platform(source: Path, target: Path) -> Kentra:
    """A platform over a copy of the demo's data directory (the copy may be changed at will)."""
    shutil.copytree(source, target)
    key = (target / "keys" / "master.key").read_bytes().strip()
    return bootstrap(Settings(data_dir=target, master_key=SecretStr(key.decode())))
