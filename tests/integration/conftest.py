"""Fixtures shared by the integration tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.demo import checkout_like, failure, run, scratch_env


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo's data directory, built once (what `scripts/demo --no-serve` does after its set-up)."""
    root = tmp_path_factory.mktemp("docs-demo")
    pycache = root / "pycache"
    env = scratch_env(root / "data", checkout_like(root / "checkout"), pycache)
    result = run("kentra demo --no-serve", cwd=root / "checkout", env=env)
    assert result.returncode == 0, failure("kentra demo --no-serve", result, f"exit {result.returncode}")
    (root / "demo-output.txt").write_text(result.stdout, encoding="utf-8")  # what it printed, beside the data
    return root / "data", pycache
