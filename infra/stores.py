"""Where each tenant's event log and vault live, and how they are created (provisioned).

- Embedded default: ``<data dir>/tenants/<id>/events.sqlite`` and ``vault.sqlite``.
- PostgreSQL: one schema per tenant (``tenant_<id>``) holding ``casework_events`` and the vault
  tables. Provisioning runs as the owner role; the tenant's role (``kentra_t_<id>``, NOLOGIN, taken
  by the application's login role per transaction: ``infra/pg_pool.py``) gets SELECT, INSERT and
  UPDATE on the events table (UPDATE only because the library's LOCK TABLE needs it: see
  shared/notes/postgres-immutability.md) and triggers refuse every UPDATE, DELETE and TRUNCATE.
  The audit tables are written by a second role per tenant, the chain role (``kentra_c_<id>``,
  NOLOGIN too): INSERT there (and setting a checkpoint's ``published_at``), nothing else anywhere;
  the tenant's role may only read them. Triggers make them append-only.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import AggregateRecorder, InfrastructureFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import Environment
from psycopg import sql
from sqlalchemy import Engine, create_engine, event, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from domain.tenants import Tenant
from infra.crypto import TenantKeys
from infra.documents import SqlDocumentStore
from infra.migrations.runner import upgrade_views
from infra.pg_pool import ProcessPools, held_unit
from infra.pg_provision import (
    PLATFORM_SCHEMA,
    StoreNotIsolatedError,
    grant_audit_tables,
    grant_tenant_roles,
    provision_platform_schema,
    provision_rollup_schema,
    refuse_changes,
    tenant_roles_state,
)
from infra.settings import Settings
from infra.stored_events import stored_events_for
from infra.vault import SqlVault
from infra.vault_tables import documents, lookup, name_index, subject_keys
from projections.tables import household_members
from projections.tables import metadata as views_metadata
from services.ports import StoredEvents

APPLICATION_NAME = "Casework"
EVENTS_TABLE = "casework_events"  # PostgreSQL: "<application name>_events"
SQLITE_EVENTS_TABLE = "stored_events"  # SQLite: one application per file, the library's own name
COMPACTED = (subject_keys, lookup, name_index)  # the vault's tables an erasure deletes from
COMPACTED_VAULT_TABLES = tuple(table.name for table in COMPACTED)
DOCUMENTS_TABLE = documents.name  # issue 23: documents' sealed bytes, beside the vault's keys
__all__ = [  # the PostgreSQL provisioning kept importable from here, where it was before
    "PLATFORM_SCHEMA",
    "MemoryStorage",
    "PostgresStorage",
    "SqliteStorage",
    "StoreNotIsolatedError",
    "TenantStorage",
    "provision_platform_schema",
    "provision_rollup_schema",
    "storage_for",
]


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

    @abstractmethod
    def documents(self) -> SqlDocumentStore:
        """Documents' sealed bytes in the tenant's own store, beside the vault (``KENTRA_DOCUMENT_STORE=database``)."""

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
    def compact_vault(self, *, documents: bool = True) -> None:
        """After an erasure: leave no copy of deleted keys in the vault's files (free pages, WAL, old tuples),
        nor, with ``documents``, of deleted documents' sealed bytes (issue 23; False where the erasure
        removed none, to spare PostgreSQL the rewrite of every document of the tenant)."""

    def compact_views(self) -> None:  # noqa: B027 - optional hook: a store that keeps deleted rows overrides it
        """After an erasure's rows left the views (issue 23: a household link): no copy of them in the WAL."""

    def close(self) -> None:  # noqa: B027 - optional hook: only some storages hold connections
        """Release pooled connections."""

    def stored_events(self, recorder: AggregateRecorder) -> StoredEvents:
        """How the casework reads many aggregates at once from this store's log."""
        return stored_events_for(recorder)

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

    def documents(self) -> SqlDocumentStore:
        """In ``vault.sqlite``: secure_delete zeroes a forgotten document's pages, the compaction its WAL.
        A store made before issue 23 gets the table here: the embedded process creates what it needs."""
        engine = self._vault_engine()
        documents.create(engine, checkfirst=True)
        return SqlDocumentStore(engine)

    def compact_vault(self, *, documents: bool = True) -> None:
        # secure_delete zeroed the deleted rows' bytes (keys and documents alike: one file); the WAL
        # still holds the old pages until truncated.
        with self._vault_engine().connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def compact_views(self) -> None:
        # issue 23: the rows an erasure deletes from the views (a household link) leave the WAL's old pages too.
        engine, _ = self.views_engine()
        with engine.connect() as conn:
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
    """A tenant's schema, reached through the process's pools as the tenant's own NOLOGIN role.

    Every transaction on the tenant's data begins with ``SET LOCAL ROLE kentra_t_<id>`` (the chain's
    with ``kentra_c_<id>``): even if the service layer picked the wrong tenant's query, the database
    would refuse it another tenant's tables. The application's login role, a member of every tenant's
    role without inheriting their rights, has none of its own there (``infra/pg_pool.py``).
    """

    events_table = EVENTS_TABLE

    def __init__(self, tenant: Tenant, pools: ProcessPools, owner_url: str) -> None:
        super().__init__(tenant)
        self.schema = tenant.storage_name
        self.role = "kentra_t_" + self.schema.removeprefix("tenant_")
        self.chain_role = "kentra_c_" + self.schema.removeprefix("tenant_")
        self.pools = pools
        self.owner_url = make_url(owner_url)

    def casework_env(self, *, create_table: bool = False) -> dict[str, str]:
        if not create_table:
            return self.pools.events_env(self.schema, self.role)
        url = self.owner_url  # only provisioning creates the table: the owner, through a short pool of its own
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.database or "",
            "POSTGRES_HOST": url.host or "localhost",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": url.username or "",
            "POSTGRES_PASSWORD": url.password or "",
            "POSTGRES_SCHEMA": self.schema,
            "POSTGRES_POOL_SIZE": "1",
            "POSTGRES_MAX_OVERFLOW": "0",
            "POSTGRES_CONNECT_TIMEOUT": "10",
            "POSTGRES_LOCK_TIMEOUT": "5",
            "CREATE_TABLE": "y",
        }

    def tenant_connection(self, *, chain: bool = False, autocommit: bool = False) -> psycopg.Connection[Any]:
        """A connection of its own as the tenant's role (or its chain role), for tests and operators:
        the application's login with ``SET ROLE`` for the session, never returned to a pool."""
        return self.pools.connect_as(self.chain_role if chain else self.role, autocommit=autocommit)

    def _tenant_engine(self) -> Engine:
        return self.pools.tenant_engine(self.role)

    def vault(self, keys: TenantKeys) -> SqlVault:
        # Inside a command's unit the vault writes in its transaction (issue 24): one commit, not four.
        role = self.role
        return SqlVault(self._tenant_engine(), keys, schema=self.schema, unit=lambda: held_unit(role))

    def documents(self) -> SqlDocumentStore:
        """In the tenant's schema, as the tenant's role: no other tenant's role may read them."""
        return SqlDocumentStore(self._tenant_engine(), schema=self.schema)

    def chain_engine(self) -> tuple[Engine, str | None]:
        """The chain role's transactions: the only ones that may write the audit tables."""
        return self.pools.tenant_engine(self.chain_role), self.schema

    def views_engine(self) -> tuple[Engine, str | None]:
        return self._tenant_engine(), self.schema

    def _owner_connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(
            self.owner_url.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True
        )

    def is_provisioned(self) -> bool:
        """The tenant's log exists and the application may take (only take) its roles: a catalog query
        through the process's pool. A store of before issue 22 (login roles) is not: ``tenants sync``."""
        with self.pools.engine().connect() as conn:
            state = tenant_roles_state(conn, self.schema, EVENTS_TABLE, (self.role, self.chain_role))
        if state.inherited:
            raise StoreNotIsolatedError(self.pools.login_role)
        return state.present and state.member and not state.login

    def provision(self, keys: TenantKeys) -> None:
        schema = sql.Identifier(self.schema)
        table = sql.Identifier(self.schema, EVENTS_TABLE)
        role = sql.Identifier(self.role)
        with self._owner_connect() as conn:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
            grant_tenant_roles(conn, (self.role, self.chain_role), self.pools.login_role)
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
            refuse_changes(conn, table, schema)
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
                    DOCUMENTS_TABLE,
                    *(t for t in views_metadata.tables if t not in audit_tables),
                )
            ]
            conn.execute(
                sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {}").format(sql.SQL(", ").join(mutable), role)
            )
            # compact_vault rewrites these three into new files by TRUNCATE and refill (see there).
            compacted = sql.SQL(", ").join(
                sql.Identifier(self.schema, name) for name in (*COMPACTED_VAULT_TABLES, DOCUMENTS_TABLE)
            )
            conn.execute(sql.SQL("GRANT TRUNCATE ON {} TO {}").format(compacted, role))
            # compact_views rewrites the household members' rows the same way (issue 23).
            members = sql.Identifier(self.schema, household_members.name)
            conn.execute(sql.SQL("GRANT TRUNCATE ON {} TO {}").format(members, role))
            # Who was erased only grows: the application adds an id at each erasure and never removes one.
            erased = sql.Identifier(self.schema, "vault_erased_subjects")
            conn.execute(sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(erased, role))
            conn.execute(sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(erased, role))
            grant_audit_tables(conn, self.schema, role, self.chain_role)
            # Read-only, so a process can tell whether its views' schema is current.
            conn.execute(
                sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(self.schema, "view_migrations"), role)
            )

    def compact_vault(self, *, documents: bool = True) -> None:
        """Rewrite the vault's key tables (and, with ``documents``, ``vault_documents``) into new files,
        without the deleted rows' dead tuples.

        One transaction as the tenant's role, through the shared pool: lock, copy the live rows, TRUNCATE
        (new files; the old ones are unlinked at commit, as VACUUM FULL does) and put the rows back.
        VACUUM FULL would need the table's owner and a session outside any transaction, which a pooled
        connection behind PgBouncer in transaction mode cannot give (docs/design.md, issue 22).
        """
        engine = self._tenant_engine().execution_options(schema_translate_map={None: self.schema})
        quote = engine.dialect.identifier_preparer.quote_identifier
        names = ", ".join(f"{quote(self.schema)}.{quote(name)}" for name in COMPACTED_VAULT_TABLES)
        files = f"{quote(self.schema)}.{quote(DOCUMENTS_TABLE)}"
        with engine.begin() as conn:
            conn.exec_driver_sql(f"LOCK TABLE {names}{', ' + files if documents else ''} IN ACCESS EXCLUSIVE MODE")
            kept = {table: [dict(row._mapping) for row in conn.execute(select(table))] for table in COMPACTED}
            if documents:
                # Copied inside the server (a temporary table dropped at commit; the tenant's role needs
                # TEMPORARY on the database, which PUBLIC has unless revoked), never through this
                # process's memory: the table holds every document of the tenant.
                conn.exec_driver_sql(f"CREATE TEMPORARY TABLE kept_documents ON COMMIT DROP AS SELECT * FROM {files}")
            conn.exec_driver_sql(f"TRUNCATE {names}{', ' + files if documents else ''}")
            for table, rows in kept.items():
                if rows:
                    conn.execute(insert(table), rows)
            if documents:
                conn.exec_driver_sql(f"INSERT INTO {files} SELECT * FROM kept_documents")

    def compact_views(self) -> None:
        """Rewrite the household members' view into new files (issue 23): the row of a person an erasure
        removed would otherwise stay in the table's file as a dead tuple, tying her id to a household
        until VACUUM and later writes overwrote it. As ``compact_vault`` does: one transaction as the
        tenant's role, the live rows copied inside the server, TRUNCATE, put back."""
        engine = self._tenant_engine().execution_options(schema_translate_map={None: self.schema})
        quote = engine.dialect.identifier_preparer.quote_identifier
        members = f"{quote(self.schema)}.{quote(household_members.name)}"
        with engine.begin() as conn:
            conn.exec_driver_sql(f"LOCK TABLE {members} IN ACCESS EXCLUSIVE MODE")
            conn.exec_driver_sql(f"CREATE TEMPORARY TABLE kept_members ON COMMIT DROP AS SELECT * FROM {members}")
            conn.exec_driver_sql(f"TRUNCATE {members}")
            conn.exec_driver_sql(f"INSERT INTO {members} SELECT * FROM kept_members")


class MemoryStorage(TenantStorage):
    """The log in the library's in-memory store (POPO); the vault and the views in in-memory SQLite.

    For tests of the services: fast, and nothing outlives the process. The log belongs to the
    casework service that made it, so it is gone if the platform makes that service again (a
    rotation of the master key does).
    """

    events_table = SQLITE_EVENTS_TABLE

    def __init__(self, tenant: Tenant) -> None:
        super().__init__(tenant)
        self._provisioned = False
        self._vault: Engine | None = None
        self._views: Engine | None = None

    @staticmethod
    def _memory_engine() -> Engine:
        # One connection shared by every thread: an in-memory database lives as long as its connection.
        return create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})

    def casework_env(self, *, create_table: bool = False) -> dict[str, str]:
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}

    def vault(self, keys: TenantKeys) -> SqlVault:
        if self._vault is None:
            self._vault = self._memory_engine()
        return SqlVault(self._vault, keys)

    def documents(self) -> SqlDocumentStore:
        if self._vault is None:
            self._vault = self._memory_engine()
        return SqlDocumentStore(self._vault)

    def views_engine(self) -> tuple[Engine, str | None]:
        if self._views is None:
            self._views = self._memory_engine()
        return self._views, None

    def is_provisioned(self) -> bool:
        return self._provisioned

    def provision(self, keys: TenantKeys) -> None:
        if not self._provisioned:
            self.vault(keys).create_tables()
            upgrade_views(self.views_engine()[0])
        self._provisioned = True

    def compact_vault(self, *, documents: bool = True) -> None:
        """Nothing to compact: the deleted rows were in memory only."""

    def close(self) -> None:
        for engine in (self._vault, self._views):
            if engine is not None:
                engine.dispose()


def storage_for(settings: Settings, tenant: Tenant, keys: TenantKeys, pools: ProcessPools | None) -> TenantStorage:
    """The production choice: a SQLite directory when embedded, else the tenant's PostgreSQL schema,
    reached through the process's ``pools`` (``infra/pg_pool.py``)."""
    if settings.embedded:
        return SqliteStorage(tenant, settings.data_dir)
    assert pools is not None  # the platform makes them whenever a database URL is set
    return PostgresStorage(tenant, pools, settings.owner_url())


def memory_storage(
    settings: Settings, tenant: Tenant, keys: TenantKeys, pools: ProcessPools | None = None
) -> TenantStorage:
    """A ``storage`` for ``bootstrap``: every tenant in memory (``MemoryStorage``)."""
    return MemoryStorage(tenant)
