"""The schema a process needs, and waiting for `kentra migrate` to bring it (issue 22, part 5).

On PostgreSQL the API and the workers run no DDL and hold no owner's secret: at start they check,
through the application's own connections, that the platform's tables exist and that every tenant
store (and, for the roll-up, every Region's copy) has its views at this image's migration head, and
wait for it (``KENTRA_SCHEMA_WAIT_SECONDS``). On the embedded SQLite default nothing is waited for:
the process creates what it needs, so the demo runs with no server.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from infra.accounts import SqlAccounts
from infra.migrations.runner import alembic_config
from infra.pg_provision import PLATFORM_SCHEMA, create_platform_tables
from infra.vault_tables import documents as documents_table

if TYPE_CHECKING:
    from infra.bootstrap import Kentra

log = logging.getLogger("kentra.schema")

VERSION_TABLE = "view_migrations"
DOCUMENTS_TABLE = documents_table.name
POLL_SECONDS = (0.5, 1.0, 2.0, 5.0)  # soon at first (migrate is usually just ending), then every 5 s


class SchemaNotReadyError(RuntimeError):
    """The schema this process needs was not there by the deadline; the message says what is missing."""


@dataclass(frozen=True)
class Requirement:
    """One part of the schema the process needs, and whether it is there."""

    what: str
    ready: bool
    detail: str = ""
    skipped: bool = False  # a tenant with no store yet: not waited for, said once


def views_head() -> str:
    """The migration head of the read models in this image (the revision every store must be at)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def platform_tables() -> set[str]:
    """The platform's tables, as `kentra migrate` creates them (built in memory, so new ones count)."""
    engine = create_engine("sqlite://")
    try:
        create_platform_tables(SqlAccounts(engine))
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _at_head(revision: str | None, head: str, known: set[str]) -> bool:
    # A revision this image does not know was written by a newer image's migrate: migrations only add
    # (docs/operations.md), so an older replica still in a rolling update keeps working on it.
    return revision == head or (revision is not None and revision not in known)


def _version(conn: Connection, schema: str) -> str | None:
    context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE, "version_table_schema": schema})
    return context.get_current_revision()


def requirements(kentra: Kentra, *, rollups: bool = False) -> list[Requirement]:
    """What the process needs on PostgreSQL, each checked now through the application's connections.

    The catalogs are readable by every role; a tenant's version table only by its own role, so that is
    read through the tenant's store. A tenant in the file with no store yet is not waited for: the
    process skips it until `kentra migrate` creates it, as before.
    """
    assert kentra.settings.database_url is not None
    head, known = views_head(), known_revisions()
    url = make_url(kentra.settings.database_url.get_secret_value()).set(drivername="postgresql+psycopg")
    engine: Engine = create_engine(url, poolclass=NullPool, hide_parameters=True)  # one short connection
    found: list[Requirement] = []
    try:
        with engine.connect() as conn:
            tables = _tables(conn)
            missing = sorted(platform_tables() - tables.get(PLATFORM_SCHEMA, set()))
            found.append(Requirement("platform schema", not missing, f"missing tables {', '.join(missing)}"))
            for tenant in kentra.registry.tenants:
                schema = tenant.storage_name
                if schema not in tables:
                    found.append(Requirement(f"tenant {tenant.id}", True, "no store yet", skipped=True))
                    continue
                found.append(_tenant(kentra, tenant.id, schema, tables[schema], head=head, known=known))
                if rollups:
                    found.append(_rollup(conn, kentra.rollup_schema(tenant.id), tables, head, known))
    finally:
        engine.dispose()
    return found


def _tables(conn: Connection) -> dict[str, set[str]]:
    rows = conn.execute(
        text(
            "SELECT n.nspname, c.relname FROM pg_namespace n LEFT JOIN pg_class c "
            "ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p') "
            "WHERE n.nspname = :platform OR n.nspname LIKE 'tenant\\_%' OR n.nspname LIKE 'rollup\\_%'"
        ),
        {"platform": PLATFORM_SCHEMA},
    )
    tables: dict[str, set[str]] = {}
    for schema, table in rows:
        tables.setdefault(schema, set()).update([table] if table else [])
    return tables


def _tenant(
    kentra: Kentra, tenant_id: str, schema: str, tables: set[str], *, head: str, known: set[str]
) -> Requirement:
    what = f"tenant {tenant_id}"
    if VERSION_TABLE not in tables:
        return Requirement(what, False, "store being created: no views yet")
    if DOCUMENTS_TABLE not in tables:  # issue 23: made with the vault's tables, not by the views' migrations
        return Requirement(what, False, f"no {DOCUMENTS_TABLE} table yet (kentra migrate makes it)")
    try:
        engine, views_schema = kentra.storage(tenant_id).views_engine()
        with engine.connect() as conn:
            revision = _version(conn, views_schema or schema)
    except SQLAlchemyError as error:  # its role not made or granted yet: migrate is still at work
        return Requirement(what, False, f"its views cannot be read yet ({type(error).__name__})")
    return Requirement(what, _at_head(revision, head, known), f"views at {revision}, this image needs {head}")


def _rollup(conn: Connection, schema: str, tables: dict[str, set[str]], head: str, known: set[str]) -> Requirement:
    what = f"roll-up {schema}"
    if VERSION_TABLE not in tables.get(schema, set()):
        return Requirement(what, False, "not created yet")
    try:
        revision = _version(conn, schema)
    except SQLAlchemyError as error:
        conn.rollback()
        return Requirement(what, False, f"cannot be read yet ({type(error).__name__})")
    return Requirement(what, _at_head(revision, head, known), f"views at {revision}, this image needs {head}")


def wait_for_schema(
    kentra: Kentra,
    *,
    rollups: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Return once the schema this process needs is there; raise SchemaNotReadyError after the deadline.

    Embedded (SQLite): create the platform's tables and return (the demo needs no migrate).
    """
    if kentra.settings.embedded:
        kentra.provision_platform()
        return
    deadline = time.monotonic() + kentra.settings.schema_wait_seconds
    attempt = 0
    while True:
        try:
            found = requirements(kentra, rollups=rollups)
        except SQLAlchemyError as error:  # the server itself away (starting, or failing over)
            found = [Requirement("database", False, f"does not answer ({type(error).__name__})")]
        pending = [r for r in found if not r.ready]
        if not pending:
            for r in found:
                if r.skipped:
                    log.info("%s has no store yet: skipped until `kentra migrate` creates it", r.what)
            log.info("schema ready (views at %s): starting", views_head())
            return
        summary = "; ".join(f"{r.what}: {r.detail}" for r in pending)
        left = deadline - time.monotonic()
        if left <= 0:
            raise SchemaNotReadyError(
                f"the database schema is not ready after {kentra.settings.schema_wait_seconds:g} s "
                f"(KENTRA_SCHEMA_WAIT_SECONDS): {summary}. Run `kentra migrate` with KENTRA_DATABASE_OWNER_URL."
            )
        log.warning("waiting for `kentra migrate` (%.0f s left): %s", left, summary)
        sleep(min(POLL_SECONDS[min(attempt, len(POLL_SECONDS) - 1)], left))
        attempt += 1
