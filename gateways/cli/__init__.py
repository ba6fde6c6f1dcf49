"""The ``kentra`` command. Scripts send JSON in and get JSON out; people get tables and progress bars.

One module per command group; this one puts them together, in the order `kentra --help` lists them.
A command imports the platform and the heavy libraries (web, PDF, charts, spreadsheets, migrations,
Kafka) only when it runs, so `kentra --help` and `kentra version` start in a fraction of a second
(tests/unit/test_cli_start.py keeps it so; bench/startup.py measures it).
"""

from __future__ import annotations

from importlib.metadata import version as package_version

import typer

from gateways.cli import (
    audit,
    backup,
    casework,
    catalogue,
    demo,
    esf,
    esf_submissions,  # noqa: F401 - registers its commands on the esf group
    gateway,
    imports,
    jobs,
    kafka,
    keys,
    migrate,
    people,
    privacy,
    projections,
    report,
    rollup,
    serve,
    tenants,
    users,
)
from gateways.cli.common import out

app = typer.Typer(
    help="Kentra: casework and ESF indicators for Community Centres.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def version() -> None:
    """Print Kentra's version."""
    out.print(package_version("kentra"))


app.command()(casework.record)
app.command()(casework.show)
app.command()(casework.find)
app.command("schema")(casework.schema)
app.command()(demo.demo)
app.command()(version)
app.command()(serve.serve)
app.command()(migrate.migrate)
app.command("backup")(backup.backup_command)
app.command("restore")(backup.restore_command)
app.command()(report.report)
app.add_typer(tenants.commands, name="tenants")
app.add_typer(esf.commands, name="esf")
app.add_typer(users.commands, name="users")
app.add_typer(projections.commands, name="projections")
app.add_typer(gateway.commands, name="gateway")
app.add_typer(rollup.commands, name="rollup")
app.add_typer(audit.commands, name="audit")
app.add_typer(privacy.commands, name="privacy")
app.add_typer(imports.commands, name="import")
app.add_typer(keys.commands, name="keys")
app.add_typer(people.commands, name="people")
app.add_typer(kafka.commands, name="kafka")
app.add_typer(jobs.commands, name="jobs")
app.add_typer(catalogue.commands, name="catalogue")


def main() -> None:
    """The console script `kentra`."""
    app()
