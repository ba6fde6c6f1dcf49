"""Where each tenant's event log and vault live, and how they are created (provisioned).

- Embedded default: ``<data dir>/tenants/<id>/events.sqlite`` and ``vault.sqlite``.
- PostgreSQL: one schema per tenant (``tenant_<id>``) holding ``casework_events`` and the vault
  tables. Provisioning runs as the owner role; the application role gets SELECT, INSERT and
  UPDATE on the events table (UPDATE only because the library's LOCK TABLE needs it: see
  shared/notes/postgres-immutability.md) and triggers refuse every UPDATE, DELETE and TRUNCATE.
  The audit tables are written by a second login role per tenant, the chain role
  (``kentra_c_<id>``): INSERT there (and setting a checkpoint's ``published_at``), nothing else
  anywhere; the application role may only read them. Triggers make them append-only.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import Environment
from psycopg import sql
from pydantic import SecretStr
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from domain.tenants import Tenant
from infra.accounts import SqlAccounts
from infra.crypto import TenantKeys
from infra.migrations.runner import upgrade_views
from infra.vault import SqlVault
from projections.tables import metadata as views_metadata

APPLICATION_NAME = "Casework"
EVENTS_TABLE = "casework_events"  # PostgreSQL: "<application name>_events"
SQLITE_EVENTS_TABLE = "stored_events"  # SQLite: one application per file, the library's own name
PLATFORM_SCHEMA = "kentra_platform"


class TenantStorage(ABC):
    events_table: str

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant

    @abstractmethod
    def casework_env(self, *, create_table: bool = False) -> dict[str, str]: ...

    @abstractmethod
    def vault(self, keys: TenantKeys) -> SqlVault: ...

    @abstractmethod
    def views_engine(self) -> tuple[Engine, str | None]:
        """Where the tenant's read models live: an engine and, on PostgreSQL, the schema."""

    def chain_engine(self) -> tuple[Engine, str | None]:
        """Where the audit chain is written from. SQLite has no roles: the views' file (the chain key
        and the witness protect it there)."""
        return self.views_engine()

    @abstractmethod
    def provision(self, keys: TenantKeys) -> None:
        """Create the tenant's log and vault if missing. Idempotent."""

    @abstractmethod
    def is_provisioned(self) -> bool: ...

    @abstractmethod
    def compact_vault(self) -> None:
        """After an erasure: leave no copy of deleted keys in the vault's files (free pages, WAL, old tuples)."""

    def close(self) -> None:  # noqa: B027 - optional hook: only some storages hold connections
        """Release pooled connections."""

    def _create_events_table(self) -> None:
        factory = InfrastructureFactory.construct(Environment(APPLICATION_NAME, self.casework_env(create_table=True)))
        factory.application_recorder()
        factory.close()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA secure_delete=ON")  # erased keys leave no bytes behind in free pages
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class TolerantSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """The library's SQLite recorder, but a row whose originator is not a UUID (whoever holds the file
    may write any text there) keeps its text instead of failing the whole read: ``audit verify``
    reports it as forged, and a fold skips it as an event it cannot decode."""

    def convert_originator_id(self, originator_id: str) -> UUID | str:
        try:
            return super().convert_originator_id(originator_id)
        except (ValueError, TypeError, AttributeError):
            return str(originator_id)


class SqliteStorage(TenantStorage):
    events_table = SQLITE_EVENTS_TABLE

    def __init__(self, tenant: Tenant, data_dir: Path) -> None:
        super().__init__(tenant)
        self.directory = data_dir / "tenants" / tenant.id
        self.events_file = self.directory / "events.sqlite"
        self.vault_file = self.directory / "vault.sqlite"
        self.views_file = self.directory / "views.sqlite"
        self._engine: Engine | None = None
        self._views: Engine | None = None

    def casework_env(self, *, create_table: bool = False) -> dict[str, str]:
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(self.events_file),
            "SQLITE_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": "infra.stores:TolerantSQLiteApplicationRecorder",
            "CREATE_TABLE": "y" if create_table else "n",
        }

    def _vault_engine(self) -> Engine:
        if self._engine is None:
            self._engine = create_engine(f"sqlite:///{self.vault_file}", hide_parameters=True)
            event.listen(self._engine, "connect", _sqlite_pragmas)
        return self._engine

    def vault(self, keys: TenantKeys) -> SqlVault:
        return SqlVault(self._vault_engine(), keys)

    def compact_vault(self) -> None:
        # secure_delete zeroed the deleted rows' bytes; the WAL still holds the old pages until truncated.
        with self._vault_engine().connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def views_engine(self) -> tuple[Engine, str | None]:
        if self._views is None:
            self._views = create_engine(f"sqlite:///{self.views_file}", hide_parameters=True)
            event.listen(self._views, "connect", _sqlite_pragmas)
        return self._views, None

    def is_provisioned(self) -> bool:
        return self.events_file.exists() and self.vault_file.exists()

    def provision(self, keys: TenantKeys) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._create_events_table()
        with sqlite3.connect(self.events_file) as conn:
            for operation in ("UPDATE", "DELETE"):
                conn.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {self.events_table}_refuse_{operation.lower()} "
                    f"BEFORE {operation} ON {self.events_table} "
                    f"BEGIN SELECT RAISE(ABORT, 'events are immutable: {operation} refused'); END"
                )
        self.vault(keys).create_tables()
        upgrade_views(self.views_engine()[0])

    def close(self) -> None:
        for engine in (self._engine, self._views):
            if engine is not None:
                engine.dispose()


class PostgresStorage(TenantStorage):
    """A tenant's schema, reached through a login role of its own with rights on that schema only.

    The role's password is derived from the master key, so it is never stored. Even if the service
    layer picked the wrong tenant's query, the database would refuse it another tenant's tables.
    """

    events_table = EVENTS_TABLE

    def __init__(self, tenant: Tenant, url: str, owner_url: str, keys: TenantKeys) -> None:
        super().__init__(tenant)
        self.schema = tenant.storage_name
        self.role = "kentra_t_" + self.schema.removeprefix("tenant_")
        self.url = make_url(url).set(username=self.role, password=keys.database_password)
        self.chain_role = "kentra_c_" + self.schema.removeprefix("tenant_")
        self.chain_url = make_url(url).set(username=self.chain_role, password=keys.chain_password)
        self.owner_url = make_url(owner_url)
        self._engine: Engine | None = None
        self._chain_engine: Engine | None = None

    def casework_env(self, *, create_table: bool = False) -> dict[str, str]:
        url = self.owner_url if create_table else self.url
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.database or "",
            "POSTGRES_HOST": url.host or "localhost",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": url.username or "",
            "POSTGRES_PASSWORD": url.password or "",
            "POSTGRES_SCHEMA": self.schema,
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_MAX_OVERFLOW": "4",
            "POSTGRES_CONNECT_TIMEOUT": "10",
            "POSTGRES_LOCK_TIMEOUT": "5",
            "POSTGRES_PRE_PING": "y",  # a pooled connection is checked before use: a restarted server is survived
            "CREATE_TABLE": "y" if create_table else "n",
        }

    def tenant_url(self) -> str:
        """The connection URL of the tenant's own role (for tests and operators)."""
        return self.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def _tenant_engine(self) -> Engine:
        if self._engine is None:
            self._engine = create_engine(
                self.url.set(drivername="postgresql+psycopg"),
                pool_size=2,
                max_overflow=4,
                pool_pre_ping=True,
                hide_parameters=True,
            )
        return self._engine

    def vault(self, keys: TenantKeys) -> SqlVault:
        return SqlVault(self._tenant_engine(), keys, schema=self.schema)

    def chain_engine(self) -> tuple[Engine, str | None]:
        """The chain role's connections: the only ones that may write the audit tables."""
        if self._chain_engine is None:
            self._chain_engine = create_engine(
                self.chain_url.set(drivername="postgresql+psycopg"), pool_size=1, max_overflow=2, pool_pre_ping=True
            )
        return self._chain_engine, self.schema

    def views_engine(self) -> tuple[Engine, str | None]:
        return self._tenant_engine(), self.schema

    def _owner_connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(
            self.owner_url.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True
        )

    def is_provisioned(self) -> bool:
        with self._owner_connect() as conn:
            row = conn.execute("SELECT to_regclass(%s)", (f"{self.schema}.{EVENTS_TABLE}",)).fetchone()
        return row is not None and row[0] is not None

    def provision(self, keys: TenantKeys) -> None:
        schema = sql.Identifier(self.schema)
        table = sql.Identifier(self.schema, EVENTS_TABLE)
        role = sql.Identifier(self.role)
        with self._owner_connect() as conn:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
            for name, password in ((self.role, keys.database_password), (self.chain_role, keys.chain_password)):
                exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
                verb = "ALTER" if exists else "CREATE"
                conn.execute(
                    sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(name), sql.Literal(password))
                )
        self._create_events_table()
        owner_engine = create_engine(self.owner_url.set(drivername="postgresql+psycopg"), hide_parameters=True)
        try:
            SqlVault(owner_engine, keys, schema=self.schema).create_tables()
            upgrade_views(owner_engine, self.schema)
        finally:
            owner_engine.dispose()
        with self._owner_connect() as conn:
            conn.execute(
                sql.SQL(
                    "CREATE OR REPLACE FUNCTION {}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    "BEGIN RAISE EXCEPTION 'events are immutable: % on %.% refused', "
                    "TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$"
                ).format(schema)
            )
            _refuse_changes(conn, table, schema)
            conn.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(schema))
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, role))
            conn.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE ON {} TO {}").format(table, role))
            conn.execute(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema, role))
            audit_tables = ("audit_chain_keyed", "audit_checkpoints", "audit_store_marks")
            mutable = [
                sql.Identifier(self.schema, name)
                for name in (
                    "vault_subject_keys",
                    "vault_lookup",
                    "vault_name_index",
                    "vault_tenant_secrets",
                    *(t for t in views_metadata.tables if t not in audit_tables),
                )
            ]
            conn.execute(
                sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {}").format(sql.SQL(", ").join(mutable), role)
            )
            # Who was erased only grows: the application adds an id at each erasure and never removes one.
            erased = sql.Identifier(self.schema, "vault_erased_subjects")
            conn.execute(sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(erased, role))
            conn.execute(sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(erased, role))
            self._grant_audit_tables(conn, schema, role)
            # Read-only, so a process can tell whether its views' schema is current.
            conn.execute(
                sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(self.schema, "view_migrations"), role)
            )

    def _grant_audit_tables(self, conn: psycopg.Connection[Any], schema: sql.Identifier, role: sql.Identifier) -> None:
        """Only the chain role writes the audit tables, and only by appending; the application reads them.

        Stores provisioned before had given the application role INSERT there: revoked here, so
        ``kentra tenants sync`` upgrades them.
        """
        chain_role = sql.Identifier(self.chain_role)
        chain, checkpoints = (
            sql.Identifier(self.schema, "audit_chain_keyed"),
            sql.Identifier(self.schema, "audit_checkpoints"),
        )
        marks = sql.Identifier(self.schema, "audit_store_marks")
        both = sql.SQL("{}, {}, {}").format(chain, checkpoints, marks)
        conn.execute(sql.SQL("REVOKE ALL ON {} FROM {}").format(both, role))
        conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(both, role))
        conn.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema, chain_role))
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, chain_role))
        conn.execute(sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(both, chain_role))
        conn.execute(sql.SQL("GRANT UPDATE (published_at) ON {} TO {}").format(checkpoints, chain_role))
        sequence = conn.execute(
            "SELECT pg_get_serial_sequence(%s, 'id')", (f"{self.schema}.audit_checkpoints",)
        ).fetchone()
        if sequence and sequence[0]:
            conn.execute(sql.SQL("REVOKE ALL ON SEQUENCE {} FROM {}").format(sql.SQL(sequence[0]), role))
            conn.execute(sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(sql.SQL(sequence[0]), chain_role))
        # Append-only even for the chain role: as on the events table, only the owner could drop these.
        _refuse_changes(conn, chain, schema)
        _refuse_changes(conn, marks, schema)
        # A checkpoint may only be marked published: every other column is fixed once written.
        _refuse_changes(
            conn,
            checkpoints,
            schema,
            trigger="refuse_update",
            refused="UPDATE OF position, hash, signed_at, public_key, signature OR DELETE",
        )

    def compact_vault(self) -> None:
        """VACUUM FULL rewrites the vault tables into new files, without the deleted keys' dead tuples."""
        with self._owner_connect() as conn:
            for table in ("vault_subject_keys", "vault_lookup", "vault_name_index"):
                conn.execute(sql.SQL("VACUUM FULL {}").format(sql.Identifier(self.schema, table)))

    def close(self) -> None:
        for engine in (self._engine, self._chain_engine):
            if engine is not None:
                engine.dispose()


def _refuse_changes(
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


def provision_platform_schema(owner_url: str, app_url: SecretStr | None) -> None:
    """Schema ``kentra_platform`` with the users table, owned by the owner role, usable by the app role."""
    _provision_schema(
        owner_url,
        app_url,
        PLATFORM_SCHEMA,
        lambda engine: SqlAccounts(engine, schema=PLATFORM_SCHEMA).create_tables(),
        "SELECT, INSERT, UPDATE",
    )


def provision_rollup_schema(owner_url: str, app_url: SecretStr | None, schema: str) -> None:
    """A Region's copy of one municipality's views (pseudonymised), usable by the application role."""
    _provision_schema(
        owner_url, app_url, schema, lambda engine: upgrade_views(engine, schema), "SELECT, INSERT, UPDATE, DELETE"
    )
