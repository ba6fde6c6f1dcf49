"""One set of PostgreSQL connections per process, shared by every tenant (issue 22).

The application logs in as one role (``KENTRA_DATABASE_URL``). Each tenant's role (``kentra_t_<id>``)
and chain role (``kentra_c_<id>``) are NOLOGIN roles it is a member of without inheriting their
rights, taken with ``SET LOCAL ROLE`` as the first statement of every transaction on the tenant's
data. ``SET LOCAL`` ends with the transaction, so a connection back in the pool (or in PgBouncer's,
in transaction mode) carries no tenant; a statement that forgot the role runs as the application's
role, which has no right on any tenant's schema.

Two pools per process, whatever the number of tenants: a SQLAlchemy engine (views, vault, positions,
chain, platform tables) and a psycopg pool for the eventsourcing library's recorders. Neither keeps
session state on a connection (no prepared statements, no session ``SET``), so both work behind
PgBouncer in transaction mode. Each connection carries ``application_name`` (``PGAPPNAME`` if set,
else ``kentra:<pid>``) so an operator can count a process's connections in ``pg_stat_activity``.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext, suppress
from typing import Any, cast

import psycopg
from eventsourcing import persistence
from eventsourcing.persistence import BaseInfrastructureFactory, StoredEvent, Subscription
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment, EnvType
from psycopg import Transaction, sql
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow, dict_row, tuple_row
from psycopg.types.composite import CompositeInfo, register_composite
from psycopg_pool import ConnectionPool
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

from infra.pg_copy import COPY_FROM, CopyingRecorder
from infra.pg_wakeups import SharedPoolSubscription, Wakeups

ROLE_OPTION = "kentra_role"  # the execution option that names the role a transaction takes
POOL_KEY = "KENTRA_SHARED_POOL"  # the library's environment: which process pool its datastore uses
ROLE_KEY = "KENTRA_TENANT_ROLE"  # ... and the role each of its transactions takes

# The library's factory is made from strings (its environment): it finds the process's pool here.
_POOLS: dict[str, ProcessPools] = {}
_POOLS_LOCK = threading.Lock()


def _identifier(name: str) -> str:
    return re.sub(r"\W", "_", name)


def application_name() -> str:
    """How this process's connections are named in ``pg_stat_activity``: ``PGAPPNAME`` or ``kentra:<pid>``."""
    return os.environ.get("PGAPPNAME") or f"kentra:{os.getpid()}"


def set_local_role(conn: psycopg.Connection[Any], role: str) -> None:
    """Take ``role`` until the end of the current transaction (only inside one)."""
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))


def _take_role(conn: Connection) -> None:
    """SQLAlchemy's ``begin`` event: the transaction's first statement takes the tenant's role."""
    role = conn.get_execution_options().get(ROLE_OPTION)
    if role:
        conn.exec_driver_sql("SET LOCAL ROLE " + conn.dialect.identifier_preparer.quote_identifier(role))


class TenantConnection(psycopg.Connection[DictRow]):
    """A connection of the library's pool that knows the tenant's transaction it is lent inside.

    The library writes inside ``conn.transaction()``. Nested in the transaction that took the role,
    that would be a savepoint, and the library, which keeps a unique-violation to raise after its
    pipeline, would end its block normally: ``RELEASE SAVEPOINT`` in a failed transaction answers
    "current transaction is aborted" instead of the conflict. So inside the lent transaction its
    block is that transaction itself (a ``force_rollback`` block stays a savepoint), which is what the
    library had when it began the transaction: its ``LOCK TABLE`` and ``NOTIFY`` take effect when the
    lent transaction commits, right after its block.
    """

    lent: Transaction | None = None

    @contextmanager
    def transaction(self, savepoint_name: str | None = None, force_rollback: bool = False) -> Iterator[Transaction]:
        """The lent transaction itself, or a new (nested) one as psycopg makes it."""
        if self.lent is not None and savepoint_name is None and not force_rollback:
            yield self.lent
            return
        with super().transaction(savepoint_name, force_rollback) as tx:
            yield tx


class SyncingCursor(psycopg.Cursor[DictRow]):
    """A unit's cursor: in pipeline mode its fetch sends a Sync where psycopg sends a Flush. Inside
    the unit's explicit transaction a Sync ends nothing, and PgBouncer before 1.21 (Debian 12's is
    1.18) forwards no Flush, so a flushed read would wait there for ever; the round trips are the same."""

    def _fetch_pipeline(self) -> None:
        pipeline = self._conn._pipeline
        if self._execmany_returning is not False and not self.pgresult and pipeline:
            pipeline.sync()


def _before_connect(*_args: object) -> None:
    """SQLAlchemy's ``do_connect``: a new connection, as a checked-out one, waits for no unit."""
    end_thread_unit()


def _ping_at_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """SQLAlchemy's ``pool_pre_ping``, after this thread's unit has given its connection back: a
    connection that does not answer is replaced (``DisconnectionError`` makes the pool take another)."""
    end_thread_unit()
    try:
        with dbapi_connection.cursor() as cursor:
            autocommit = dbapi_connection.autocommit
            dbapi_connection.autocommit = True
            try:
                cursor.execute(";")
            finally:
                if not dbapi_connection.closed:
                    dbapi_connection.autocommit = autocommit
    except psycopg.Error as error:
        raise DisconnectionError(str(error)) from error


class ProcessPools:
    """The process's two pools on the application's login role, made at first use, closed once."""

    def __init__(
        self, url: str, *, pool_size: int, max_overflow: int, name: str | None = None, listen_url: str | None = None
    ) -> None:
        self.url = make_url(url)
        # LISTEN is session state: behind PgBouncer in transaction mode it must reach PostgreSQL itself.
        self.listen_url = make_url(listen_url) if listen_url else self.url
        self.pool_size = pool_size
        self.max_overflow = max_overflow
        self.application_name = name or application_name()
        self.key = uuid.uuid4().hex
        self._engine: Engine | None = None
        self._events: ConnectionPool[TenantConnection] | None = None
        self._wakeups: Wakeups | None = None
        self._lock = threading.Lock()

    @property
    def login_role(self) -> str:
        """The application's login role (the member of every tenant's role)."""
        return self.url.username or ""

    @property
    def bound(self) -> int:
        """The most connections this process opens to PostgreSQL through its pools."""
        return 2 * (self.pool_size + self.max_overflow)

    def conninfo(self) -> str:
        """libpq's form of the application's URL (for psycopg)."""
        return self.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def engine(self) -> Engine:
        """The SQLAlchemy engine every tenant shares; ``tenant_engine`` gives its view as one role."""
        with self._lock:
            if self._engine is None:
                self._engine = create_engine(
                    self.url.set(drivername="postgresql+psycopg"),
                    pool_size=self.pool_size,
                    max_overflow=self.max_overflow,
                    pool_pre_ping=False,  # pinged at checkout below, once this thread's unit has ended
                    hide_parameters=True,
                    # A prepared statement is session state: PgBouncer in transaction mode would lose it.
                    connect_args={"application_name": self.application_name, "prepare_threshold": None},
                )
                event.listen(self._engine, "begin", _take_role)
                # A thread's open unit ends before it takes one of these (``end_thread_unit``), even
                # before the ping, which behind PgBouncer needs a server connection of its own.
                event.listen(self._engine, "do_connect", _before_connect)
                event.listen(self._engine, "checkout", _ping_at_checkout)
            return self._engine

    def tenant_engine(self, role: str) -> Engine:
        """The shared engine, each transaction of which begins with ``SET LOCAL ROLE role`` (same pool)."""
        return self.engine().execution_options(**{ROLE_OPTION: role})

    def events_pool(self) -> ConnectionPool[TenantConnection]:
        """The psycopg pool the eventsourcing library's recorders of every tenant share."""
        with self._lock:
            if self._events is None:
                self._events = ConnectionPool(
                    self.conninfo(),
                    connection_class=TenantConnection,
                    kwargs={
                        "row_factory": dict_row,
                        "prepare_threshold": None,  # the library asks to prepare; nothing may outlive a transaction
                        "application_name": self.application_name,
                        "autocommit": True,  # the library's own setting: it opens its transactions itself
                    },
                    min_size=1,
                    max_size=self.pool_size + self.max_overflow,
                    open=False,
                    check=ConnectionPool.check_connection,
                    name=f"kentra-events-{self.key[:8]}",
                )
                self._events.open(wait=False)
                with _POOLS_LOCK:
                    _POOLS[self.key] = self
            return self._events

    def events_env(self, schema: str, role: str, *, lock_timeout: int = 5) -> dict[str, str]:
        """The library's environment for one tenant's recorder on the shared pool."""
        self.events_pool()
        return {
            "PERSISTENCE_MODULE": "infra.pg_pool:SharedPoolFactory",
            POOL_KEY: self.key,
            ROLE_KEY: role,
            "POSTGRES_SCHEMA": schema,
            "POSTGRES_LOCK_TIMEOUT": str(lock_timeout),
            "CREATE_TABLE": "n",  # only provisioning (the owner) creates tables
        }

    def wakeups(self) -> Wakeups:
        """The process's one listener for new events, for every tenant's subscription."""
        with self._lock:
            if self._wakeups is None:
                listen = self.listen_url.set(drivername="postgresql").render_as_string(hide_password=False)
                self._wakeups = Wakeups(listen, self.application_name)
            return self._wakeups

    def connect_as(self, role: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
        """A connection of its own (not pooled) as the application's role having SET ``role`` for the
        session: for tests and operators who must act as a tenant's role, straight to PostgreSQL."""
        conn = psycopg.connect(self.conninfo(), autocommit=True, application_name=self.application_name)
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
        conn.autocommit = autocommit
        return conn

    def close(self) -> None:
        """Close both pools (the process ends, or the platform is made again)."""
        with _POOLS_LOCK:
            _POOLS.pop(self.key, None)
        with self._lock:
            if self._wakeups is not None:
                self._wakeups.close()
                self._wakeups = None
            if self._events is not None:
                self._events.close()
                self._events = None
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None


class _Unit:
    """One thread's unit on a tenant's pool: its connection, in pipeline mode, inside the transaction
    that began with ``SET LOCAL ROLE``, until its one write commits it, or the thread asks for another
    connection (``give_back``), or the unit ends."""

    def __init__(self, shared: ConnectionPool[TenantConnection], conn: TenantConnection, role: str) -> None:
        self.shared = shared
        self.conn = conn
        self.role = role  # the tenant's role its transaction took: only that tenant's stores join it
        self.pipeline = ExitStack()  # the connection's pipeline mode, left when the transaction ends
        self.open = True  # the transaction takes statements (neither written nor ended)
        self.returned = False
        self._after_commit: list[Callable[[], None]] = []

    def commit(self) -> None:
        """End the transaction (its reads, or its queued write) with COMMIT and the one sync; then what
        waited for the commit (``after_commit``)."""
        if self.open:
            self.open = False
            with _library_errors():
                self.conn.execute(b"COMMIT")
                self.pipeline.close()
            waiting, self._after_commit = self._after_commit, []
            for then in waiting:
                then()

    def rows(self, statement: str | bytes, params: Any = None) -> list[tuple[Any, ...]]:
        """Another store's read (or write with RETURNING) of this tenant, in the unit's transaction: its
        rows, in one round trip with whatever was queued before it."""
        with _library_errors(), self.conn.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall()  # the fetch sends the sync (``SyncingCursor``): its rows are there after

    def send(self, statement: str | bytes, params: Any = None) -> None:
        """Another store's write of this tenant, queued in the unit's transaction: it goes with the
        unit's next round trip (its own write and COMMIT), and commits or rolls back with it."""
        with _library_errors(), self.conn.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(statement, params)

    def after_commit(self, then: Callable[[], None]) -> None:
        """Run ``then`` once the unit has committed (never if it rolls back)."""
        self._after_commit.append(then)

    def give_back(self) -> None:
        """Leave pipeline mode and any transaction still open (a failed write, an exception: rolled
        back), and return the connection to the pool, idle; a broken one the pool discards."""
        if self.returned:
            return
        self.open = False
        self.returned = True
        self._after_commit = []  # not committed: what waited for it never happens
        conn = self.conn
        try:
            with suppress(psycopg.Error):  # the error that ended the unit is the one raised
                self.pipeline.close()
            if not conn.closed and conn.info.transaction_status != TransactionStatus.IDLE:
                with suppress(psycopg.Error):  # broken: the pool will not lend it again
                    conn.execute(b"ROLLBACK")
        finally:
            conn.cursor_factory = psycopg.Cursor
            self.shared.putconn(conn)


# The thread's open unit, whichever tenant's: ended before the thread takes any other connection, so
# a thread never holds two at once (behind PgBouncer both pools share its few server connections: a
# unit kept open while the vault waited for one could wait for ever).
_THREAD = threading.local()


def held_unit(role: str) -> _Unit | None:
    """This thread's open unit if its transaction is ``role``'s (one tenant's), else None: another
    store of that tenant on the same database (the vault) may then read and write in it."""
    unit: _Unit | None = getattr(_THREAD, "unit", None)
    if unit is None or unit.returned or not unit.open or unit.role != role:
        return None
    return unit


def end_thread_unit(*_args: object) -> None:
    """Commit this thread's open unit (its reads) and give its connection back: it is about to take
    another (SQLAlchemy's ``checkout`` event, another tenant's events). What follows goes as outside a unit."""
    unit: _Unit | None = getattr(_THREAD, "unit", None)
    if unit is not None and not unit.returned:
        try:
            unit.commit()
        finally:
            unit.give_back()


# set_config(..., true) is SET LOCAL: the role's membership is checked as SET ROLE checks it.
_TAKE_ROLE = b"SELECT set_config('role', %s, true), set_config('lock_timeout', %s, true)"

_DRIVER_ERRORS: tuple[tuple[type[Exception], type[Exception]], ...] = (
    (psycopg.IntegrityError, persistence.IntegrityError),
    (psycopg.OperationalError, persistence.OperationalError),
    (psycopg.InterfaceError, persistence.InterfaceError),
)


@contextmanager
def _library_errors() -> Iterator[None]:
    """psycopg's errors as the library's datastore gives them (a conflict is its ``IntegrityError``)."""
    try:
        yield
    except psycopg.Error as error:
        for driver, library in _DRIVER_ERRORS:
            if isinstance(error, driver):
                raise library(str(error)) from error
        raise


class _TenantPool:
    """What the library's datastore sees as its pool: the process's pool, each connection lent inside
    a transaction that begins with ``SET LOCAL ROLE``. The library reads in autocommit through
    ``get_connection`` (now inside that transaction) and writes in ``conn.transaction()``, which is
    that same transaction (``TenantConnection``).

    Inside ``unit()`` a thread's reads and its one write share one connection and one transaction
    instead of one each (issue 24): ``BEGIN``, the role and the first read go in one round trip
    (pipeline mode), and the write (``SharedPoolRecorder.insert_events``) sends the library's lock,
    ``NOTIFY``, insert and the ``COMMIT`` in one more.
    """

    def __init__(
        self,
        shared: ConnectionPool[TenantConnection],
        role: str,
        adapt: Callable[[TenantConnection], None],
        lock_timeout: int = 5,
    ) -> None:
        self.shared = shared
        self.role = role
        self.adapt = adapt
        self.lock_timeout = lock_timeout  # the library's, set with the role at a unit's start
        self._local = threading.local()

    def open(self, wait: bool = False, timeout: float = 30.0) -> None:
        """The process opened the shared pool already."""

    def held(self) -> _Unit | None:
        """This thread's unit while its transaction still takes statements, else None."""
        unit: _Unit | None = getattr(self._local, "unit", None)
        return unit if unit is not None and unit.open and not unit.returned else None

    @contextmanager
    def unit(self) -> Iterator[None]:
        """Everything this thread reads and writes through this pool inside, on one connection, in one
        transaction as the tenant's role. The first write commits it; what comes after a write (or
        inside a unit already open) goes as outside one. Leaving without a write commits the reads;
        an exception rolls back."""
        if getattr(self._local, "unit", None) is not None:
            yield  # nested: the outer unit's
            return
        end_thread_unit()  # another tenant's, if any: one connection at a time
        conn = self.shared.getconn()
        unit = _Unit(self.shared, conn, self.role)
        self._local.unit = _THREAD.unit = unit
        conn.cursor_factory = SyncingCursor
        try:
            with _library_errors():
                unit.pipeline.enter_context(conn.pipeline())
                conn.execute(b"BEGIN")
                # SET LOCAL ROLE and the library's SET LOCAL lock_timeout, as one statement
                conn.execute(_TAKE_ROLE, (self.role, f"{self.lock_timeout}s"))
                self.adapt(conn)
            yield
            if not unit.returned:
                unit.commit()
        finally:
            self._local.unit = _THREAD.unit = None
            unit.give_back()

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[TenantConnection]:
        unit = self.held()
        if unit is not None:
            yield unit.conn
            return
        end_thread_unit()  # one connection at a time
        with self.shared.connection(timeout) as conn, conn.transaction() as tx:
            set_local_role(conn, self.role)
            self.adapt(conn)
            conn.lent = tx
            try:
                yield conn
            finally:
                conn.lent = None

    def close(self) -> None:
        """A tenant's application closing must not close the pool every tenant shares."""


def one_transaction(datastore: PostgresDatastore) -> AbstractContextManager[None]:
    """A unit (``_TenantPool.unit``) on a datastore of the shared pool; any other goes on as it does."""
    pool: object = datastore.pool
    return pool.unit() if isinstance(pool, _TenantPool) else nullcontext()


class SharedPoolDatastore(PostgresDatastore):
    """The library's datastore on the process's pool, as one tenant's role."""

    def __init__(self, pools: ProcessPools, role: str, *, schema: str, lock_timeout: int) -> None:
        super().__init__(
            dbname="",
            host="",
            port=0,
            user="",
            password="",
            schema=schema,
            lock_timeout=lock_timeout,
        )
        self.pools = pools
        self.pool.close()  # the library's own pool, never opened: replaced by the shared one
        self.pool = cast(Any, _TenantPool(pools.events_pool(), role, self._adapt, lock_timeout))

    def register_type_adapters(self) -> None:
        """The library's, with a Python class of this tenant's own for each composite type.

        psycopg makes one namedtuple per type name and fields, so every tenant's ``stored_event_uuid``
        would share one class, and a connection shared by tenants would dump one tenant's events as
        another's type (``cannot cast type tenant_a.stored_event_uuid[] to tenant_b...``).
        """
        unregistered = [name for name in self.db_type_names if name not in self.psycopg_type_adapters]
        if not unregistered:
            return
        with self.get_connection() as conn:
            for name in unregistered:
                info = CompositeInfo.fetch(conn, f"{self.schema}.{name}")
                if info is None:
                    continue
                fields = [_identifier(field) for field in info.field_names]
                factory = namedtuple(_identifier(f"{self.schema}_{name}"), fields)  # type: ignore[misc]
                register_composite(info, conn, factory)
                self.psycopg_type_adapters[name] = info
                self.psycopg_python_types[name] = factory

    def _adapt(self, conn: TenantConnection) -> None:
        """Give a lent connection this tenant's composite types (before the library looks for them)."""
        for name, info in self.psycopg_type_adapters.items():
            if not conn.adapters.types.get(info.oid):
                register_composite(info, conn, self.psycopg_python_types[name])

    def close(self) -> None:
        """Nothing of this tenant's to close: the pool is the process's."""

    def __enter__(self) -> SharedPoolDatastore:
        return self

    def __exit__(self, *args: object) -> None:
        """The shared pool outlives a tenant's use of it."""


def _as_bytes(statement: object, conn: psycopg.Connection[Any]) -> bytes:
    if isinstance(statement, sql.Composable):
        return statement.as_bytes(conn)
    if isinstance(statement, bytes):
        return statement
    if isinstance(statement, str):
        return statement.encode()
    raise TypeError(f"cannot render {type(statement).__name__} once for a unit")


class SharedPoolRecorder(CopyingRecorder):
    """The library's recorder (a large batch saved by COPY: ``infra/pg_copy.py``); its subscriptions
    share the process's listener. Inside a unit (``_TenantPool.unit``) its write is the unit's last
    statement and commits it; a batch large enough for COPY (an import's) leaves the unit's pipeline
    mode first, since COPY does not run in it, and is copied in the unit's transaction (``_copy_in_unit``)."""

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        pool: object = self.datastore.pool
        unit = pool.held() if isinstance(pool, _TenantPool) else None
        if unit is not None and len(stored_events) >= COPY_FROM:
            return self._copy_in_unit(unit, stored_events, **kwargs)
        if unit is None:
            return cast("Sequence[int] | None", super().insert_events(stored_events, **kwargs))
        if not stored_events:
            return None  # as the library: nothing to write (the unit's end commits its reads)
        # What the library's insert sends (the table lock that keeps commit order the order of the
        # notification ids, NOTIFY, the insert), in the unit's transaction, then COMMIT: one round trip.
        # Its statements are rendered once; its lock timeout was set with the unit's role.
        conn = unit.conn
        with _library_errors(), conn.cursor() as curs:
            lock, notify, insert = self._unit_statements(conn)
            for statement in lock:
                curs.execute(statement)
            curs.execute(notify)
            rows = [
                self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
                for e in stored_events
            ]
            curs.execute(insert, (rows,))
            unit.commit()  # the sync: a conflict raises here (IntegrityError), nothing committed
            ids: Sequence[int] | None = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
            return ids

    def _copy_in_unit(self, unit: _Unit, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """A batch large enough for COPY, in the unit's transaction all the same: with the vault's keys,
        claims and name indexes queued in it, which a COPY failing must take with it (committing the
        unit first left them for people never recorded). COPY does not run in pipeline mode: the
        pipeline is left first (its sync sends what was queued; a conflict there raises as the
        library's), then the library's COPY goes in the transaction lent as its own, and COMMIT."""
        conn = unit.conn
        with _library_errors():
            unit.pipeline.close()
        conn.lent = cast(Transaction, unit)  # ``conn.transaction()`` is then the unit's (TenantConnection)
        try:
            ids = cast("Sequence[int] | None", super().insert_events(stored_events, **kwargs))
        finally:
            conn.lent = None
        unit.commit()
        return ids

    def _unit_statements(self, conn: psycopg.Connection[Any]) -> tuple[list[bytes], bytes, bytes]:
        """The library's lock (less its lock timeout, which the unit set), NOTIFY and insert, as bytes."""
        rendered: tuple[list[bytes], bytes, bytes] | None = getattr(self, "_rendered", None)
        if rendered is None:
            lock = [_as_bytes(statement, conn) for statement in self.lock_table_statements]
            rendered = (
                [statement for statement in lock if not statement.startswith(b"SET LOCAL lock_timeout")],
                sql.SQL("NOTIFY {0}").format(sql.Identifier(self.channel_name)).as_bytes(conn),
                _as_bytes(self.insert_events_statement, conn),
            )
            if len(rendered[0]) != len(lock) - 1:
                raise TypeError("the library's lock statements changed: see SharedPoolRecorder.insert_events")
            self._rendered = rendered
        return rendered

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> Subscription[PostgresApplicationRecorder]:
        datastore = self.datastore
        assert isinstance(datastore, SharedPoolDatastore)
        return SharedPoolSubscription(self, datastore.pools.wakeups(), gt, topics)


class SharedPoolFactory(PostgresFactory):
    """The library's PostgreSQL factory, on the process's pool instead of one pool per application.

    Chosen by ``PERSISTENCE_MODULE=infra.pg_pool:SharedPoolFactory`` (``InfrastructureFactory.construct``
    resolves a topic naming a class as that class); ``KENTRA_SHARED_POOL`` names the process's pools.
    """

    application_recorder_class = SharedPoolRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        BaseInfrastructureFactory.__init__(self, env)  # not the parent's: it would make a pool of its own
        key = self.env.get(POOL_KEY) or ""
        role = self.env.get(ROLE_KEY) or ""
        with _POOLS_LOCK:
            pools = _POOLS.get(key)
        if pools is None or not role:
            raise OSError(f"{POOL_KEY} names no open pool of this process (closed, or made by another)")
        self.datastore = SharedPoolDatastore(
            pools,
            role,
            schema=self.env.get("POSTGRES_SCHEMA") or "",
            lock_timeout=int(self.env.get("POSTGRES_LOCK_TIMEOUT") or "5"),
        )
