"""`python -m gateways.cli`: the same as the console script `kentra`."""

from __future__ import annotations

from gateways.cli import main

main()
