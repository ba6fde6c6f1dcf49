"""`kentra migrate`: the only command that runs DDL, as the schema owner (issue 22, part 5)."""

from __future__ import annotations

from gateways.cli.common import platform


def migrate() -> None:
    """Create or upgrade the platform's, every tenant's and every Region's schema, as the owner role."""
    with platform() as kentra:
        kentra.provision_platform()
