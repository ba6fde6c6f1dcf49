"""`kentra esf submit`, `kentra esf submissions`, `kentra esf restatement`: deliveries pinned to the log."""

from __future__ import annotations

from gateways.cli.esf import commands

__all__ = ["commands"]
