"""`kentra users`: the people who sign in, their roles and scope, and their passwords."""

from __future__ import annotations

import re
import sys
from typing import Annotated

import typer

from gateways.cli.common import emit, fail, out, platform
from services.access import Role  # the --role choices; typer reads them when it builds the command

commands = typer.Typer(help="Users of Kentra and their roles.", no_args_is_help=True)


@commands.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name: lower-case letters, digits, '.', '_', '-'")],
    role: Annotated[Role, typer.Option("--role", help="What the user may do")],
    tenant: Annotated[list[str] | None, typer.Option("--tenant", help="Tenant(s) the user works for")] = None,
    structure: Annotated[str | None, typer.Option("--structure", help="A caseworker's structure")] = None,
    region: Annotated[str | None, typer.Option("--region", help="A regional analyst's region")] = None,
    personal_data: Annotated[
        bool, typer.Option("--personal-data", help="An auditor may see whom records are about (each use is logged)")
    ] = False,
    full_name: Annotated[
        str | None, typer.Option("--full-name", help="How colleagues see the user in the pages, e.g. 'Μαρία Οικονόμου'")
    ] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")] = False,
) -> None:
    """Add a user. The password is read from standard input, never from the command line."""
    from infra.accounts import UserExistsError, WeakPasswordError, check_password
    from services.access import Principal, check_principal

    if not password_stdin:
        fail("give --password-stdin and the password on standard input")
    password = sys.stdin.readline().rstrip("\n")
    try:
        check_password(password, name)
    except WeakPasswordError as error:
        fail(str(error))
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", name):
        fail("user names are lower-case letters, digits, '.', '_' and '-' (at most 64)")
    with platform() as kentra:
        principal = check_principal(
            Principal(
                username=name,
                role=role,
                tenants=frozenset(tenant or ()),
                structure=structure,
                region=region,
                personal_data=personal_data,
                full_name=(full_name or "").strip()[:200],
            ),
            kentra.registry,
        )
        try:
            kentra.accounts.add(principal, password)
        except UserExistsError as error:
            fail(str(error))
        out.print(f"added {name} ({role.value})")


@commands.command("password")
def users_password(
    name: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")] = False,
) -> None:
    """Set a user's password (from standard input). Every session of the user ends at once."""
    from infra.accounts import WeakPasswordError

    if not password_stdin:
        fail("give --password-stdin and the new password on standard input")
    password = sys.stdin.readline().rstrip("\n")
    with platform() as kentra:
        try:
            changed = kentra.accounts.set_password(name, password)
        except WeakPasswordError as error:
            fail(str(error))
        if not changed:
            fail(f"no user {name!r}")
        out.print(f"new password for {name}; their sessions have ended")


@commands.command("name")
def users_name(
    name: str, full_name: Annotated[str, typer.Argument(help="How colleagues see the user, e.g. 'Μαρία Οικονόμου'")]
) -> None:
    """Set the full name colleagues see for a user in the pages."""
    if not full_name.strip():
        fail("give a full name")
    with platform() as kentra:
        if not kentra.accounts.set_full_name(name, full_name.strip()[:200]):
            fail(f"no user {name!r}")
        out.print(f"{name} is shown as {full_name.strip()[:200]}")


@commands.command("list")
def users_list() -> None:
    """List users and their scope (JSON)."""
    with platform() as kentra:
        emit(
            [
                {
                    "username": p.username,
                    "role": p.role.value,
                    "tenants": sorted(p.tenants),
                    "structure": p.structure,
                    "region": p.region,
                    "personal_data": p.personal_data,
                    "full_name": p.full_name,
                }
                for p in kentra.accounts.all()
            ]
        )


@commands.command("disable")
def users_disable(name: str) -> None:
    """Disable a user: their tokens stop working at once, and their sessions end."""
    with platform() as kentra:
        if not kentra.accounts.set_active(name, False):
            fail(f"no user {name!r}")
        out.print(f"disabled {name}")
