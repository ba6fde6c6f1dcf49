"""`kentra jobs`: the durable jobs (imports) and the worker that takes them (issue 22, part 3)."""

from __future__ import annotations

import typer

commands = typer.Typer(help="Durable jobs (imports): run a worker, list them.", no_args_is_help=True)
