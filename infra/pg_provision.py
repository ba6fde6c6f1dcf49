"""PostgreSQL provisioning that stores share: append-only triggers, the audit tables' grants, and the
platform's and Regions' schemas. Run as the owner role; split from ``infra/stores.py`` to keep it short.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from pydantic import SecretStr
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

from infra.accounts import SqlAccounts
from infra.jobs import create_tables as create_job_tables
from infra.leases import create_tables as create_lease_tables
from infra.migrations.runner import upgrade_views

PLATFORM_SCHEMA = "kentra_platform"


class StoreNotIsolatedError(Exception):
    """The application's login role holds a tenant's rights without ``SET ROLE``: refuse to serve."""

    def __init__(self, login_role: str) -> None:
        super().__init__(
            f"role {login_role!r} inherits a tenant role's rights: make it NOINHERIT "
            "(ALTER ROLE ... NOINHERIT, or run `kentra tenants sync` as the owner)"
        )


def grant_tenant_roles(conn: psycopg.Connection[Any], roles: Sequence[str], member: str) -> None:
    """Make ``roles`` NOLOGIN roles (no password: nobody logs in as a tenant) that ``member``, the
    application's login role, may SET but does not inherit. Roles of before (LOGIN, with a password
    derived from the master key) are altered so: ``kentra tenants sync`` upgrades them."""
    version = conn.info.server_version
    for name in roles:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(sql.SQL(verb + " ROLE {} NOLOGIN NOINHERIT PASSWORD NULL").format(sql.Identifier(name)))
        # PostgreSQL 16 keeps INHERIT per grant; before, the member's NOINHERIT attribute decides.
        options = " WITH INHERIT FALSE" if version >= 160000 else ""
        conn.execute(sql.SQL("GRANT {} TO {}" + options).format(sql.Identifier(name), sql.Identifier(member)))
    inherits = conn.execute("SELECT rolinherit FROM pg_roles WHERE rolname = %s", (member,)).fetchone()
    if not inherits or not inherits[0]:
        return  # altered once only: concurrent provisioning would otherwise update the same catalog row
    try:
        conn.execute(sql.SQL("ALTER ROLE {} NOINHERIT").format(sql.Identifier(member)))
    except psycopg.errors.InsufficientPrivilege:
        # From 16 the owner may alter only roles it administers; the grants above inherit nothing.
        if version < 160000:
            raise


@dataclass(frozen=True)
class TenantRolesState:
    """What the catalog says of a tenant's store, as the application's role sees it."""

    present: bool  # the events table exists
    member: bool  # the application may SET each of the tenant's roles
    login: bool  # a role may still log in (a store of before issue 22)
    inherited: bool  # the application holds a role's rights without SET ROLE: not isolated


def tenant_roles_state(conn: Connection, schema: str, table: str, roles: Sequence[str]) -> TenantRolesState:
    """Read from the catalogs, which every role may read: no owner, no tenant role needed."""
    row = conn.execute(
        text(
            "SELECT EXISTS (SELECT FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname = :schema AND c.relname = :table),"
            " count(r.oid), coalesce(bool_and(pg_has_role(current_user, r.oid, 'MEMBER')), false),"
            " coalesce(bool_or(r.rolcanlogin), false),"
            " coalesce(bool_or(pg_has_role(current_user, r.oid, 'USAGE')), false)"
            " FROM pg_catalog.pg_roles r WHERE r.rolname = ANY(:roles)"
        ),
        {"schema": schema, "table": table, "roles": list(roles)},
    ).one()
    present, count, member, login, inherited = row
    return TenantRolesState(bool(present), bool(member) and count == len(roles), bool(login), bool(inherited))


def grant_audit_tables(
    conn: psycopg.Connection[Any], schema_name: str, role: sql.Identifier, chain_role_name: str
) -> None:
    """Only the chain role writes the audit tables, and only by appending; the application reads them.

    Stores provisioned before had given the application role INSERT there: revoked here, so
    ``kentra tenants sync`` upgrades them.
    """
    schema = sql.Identifier(schema_name)
    chain_role = sql.Identifier(chain_role_name)
    chain, checkpoints = (
        sql.Identifier(schema_name, "audit_chain_keyed"),
        sql.Identifier(schema_name, "audit_checkpoints"),
    )
    marks = sql.Identifier(schema_name, "audit_store_marks")
    both = sql.SQL("{}, {}, {}").format(chain, checkpoints, marks)
    conn.execute(sql.SQL("REVOKE ALL ON {} FROM {}").format(both, role))
    conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(both, role))
    conn.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema, chain_role))
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, chain_role))
    conn.execute(sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(both, chain_role))
    conn.execute(sql.SQL("GRANT UPDATE (published_at) ON {} TO {}").format(checkpoints, chain_role))
    sequence = conn.execute("SELECT pg_get_serial_sequence(%s, 'id')", (f"{schema_name}.audit_checkpoints",)).fetchone()
    if sequence and sequence[0]:
        conn.execute(sql.SQL("REVOKE ALL ON SEQUENCE {} FROM {}").format(sql.SQL(sequence[0]), role))
        conn.execute(sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(sql.SQL(sequence[0]), chain_role))
    # Append-only even for the chain role: as on the events table, only the owner could drop these.
    refuse_changes(conn, chain, schema)
    refuse_changes(conn, marks, schema)
    # A checkpoint may only be marked published: every other column is fixed once written.
    refuse_changes(
        conn,
        checkpoints,
        schema,
        trigger="refuse_update",
        refused="UPDATE OF position, hash, signed_at, public_key, signature OR DELETE",
    )


def refuse_changes(
    conn: psycopg.Connection[Any],
    table: sql.Identifier,
    schema: sql.Identifier,
    *,
    trigger: str = "refuse_update_delete",
    refused: str = "UPDATE OR DELETE",
) -> None:
    """Make a table append-only for every role but its owner: row triggers refuse ``refused`` and a
    statement trigger refuses TRUNCATE, all through the schema's ``refuse_change()``."""
    conn.execute(
        sql.SQL(
            "CREATE OR REPLACE TRIGGER {} BEFORE " + refused + " ON {} FOR EACH ROW EXECUTE FUNCTION {}.refuse_change()"
        ).format(sql.Identifier(trigger), table, schema)
    )
    conn.execute(
        sql.SQL(
            "CREATE OR REPLACE TRIGGER refuse_truncate BEFORE TRUNCATE ON {} "
            "FOR EACH STATEMENT EXECUTE FUNCTION {}.refuse_change()"
        ).format(table, schema)
    )


def _provision_schema(
    owner_url: str, app_url: SecretStr | None, schema: str, create: Callable[[Engine], None], privileges: str
) -> None:
    """Create ``schema`` and its tables as the owner role, then let the application role use them."""
    owner = make_url(owner_url)
    conninfo = owner.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    engine = create_engine(owner.set(drivername="postgresql+psycopg"), hide_parameters=True)
    try:
        create(engine)
    finally:
        engine.dispose()
    app_role = make_url(app_url.get_secret_value()).username if app_url else None
    if app_role and app_role != owner.username:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            role, ident = sql.Identifier(app_role), sql.Identifier(schema)
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(ident, role))
            conn.execute(sql.SQL("GRANT " + privileges + " ON ALL TABLES IN SCHEMA {} TO {}").format(ident, role))


def create_platform_tables(accounts: SqlAccounts) -> None:
    """The platform's own tables, on the embedded file or in ``kentra_platform``: users, worker leases,
    durable jobs."""
    accounts.create_tables()
    create_lease_tables(accounts.engine)
    create_job_tables(accounts.engine)


def provision_platform_schema(owner_url: str, app_url: SecretStr | None) -> None:
    """Schema ``kentra_platform`` with the users table, owned by the owner role, usable by the app role."""
    _provision_schema(
        owner_url,
        app_url,
        PLATFORM_SCHEMA,
        lambda engine: create_platform_tables(SqlAccounts(engine, schema=PLATFORM_SCHEMA)),
        "SELECT, INSERT, UPDATE",
    )
    grant_lease_tables(owner_url, app_url)


def grant_lease_tables(owner_url: str, app_url: SecretStr | None) -> None:
    """Replicas forget dead members (DELETE) in ``worker_members``; nothing else of the platform's is deleted."""
    app_role = make_url(app_url.get_secret_value()).username if app_url else None
    owner = make_url(owner_url)
    if not app_role or app_role == owner.username:
        return
    conninfo = owner.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        members = sql.Identifier(PLATFORM_SCHEMA, "worker_members")
        conn.execute(sql.SQL("GRANT DELETE ON {} TO {}").format(members, sql.Identifier(app_role)))


def provision_rollup_schema(owner_url: str, app_url: SecretStr | None, schema: str) -> None:
    """A Region's copy of one municipality's views (pseudonymised), usable by the application role."""
    _provision_schema(
        owner_url, app_url, schema, lambda engine: upgrade_views(engine, schema), "SELECT, INSERT, UPDATE, DELETE"
    )
