"""`kentra kafka`: the topics as production runs them (issue 22, part 4; owned by the kafka helper)."""

from __future__ import annotations

import typer

commands = typer.Typer(help="Kafka: create the topics with their partitions and retention.", no_args_is_help=True)
