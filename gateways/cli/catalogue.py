"""`kentra catalogue`: a municipality's own request categories, agencies, activity kinds and visit
purposes, each mapped to a national code (issue 23)."""

from __future__ import annotations

import typer

commands = typer.Typer(
    help="The municipality's own catalogue entries (local codes mapped to national ones).", no_args_is_help=True
)
