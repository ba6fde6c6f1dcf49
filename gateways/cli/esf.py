"""`kentra esf`: an operation's ESF delivery as a file (`report`); submissions in esf_submissions.py."""

from __future__ import annotations

import typer

commands = typer.Typer(help="ESF delivery to the managing authority, per operation.", no_args_is_help=True)
