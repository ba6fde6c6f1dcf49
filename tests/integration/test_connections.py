"""Issue 22: a process's PostgreSQL connections are bounded by its pools, not by its tenants; every
transaction takes its tenant's role and leaves it at the end; the login role alone reaches no tenant.

Connections are counted in ``pg_stat_activity`` by the ``application_name`` each process gives its
pools (``PGAPPNAME``, else ``kentra:<pid>``): here a fresh name per simulated process, as libpq reads it.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import pytest
from pydantic import SecretStr
from sqlalchemy import text

from domain.identifiers import make_amka
from domain.tenants import Tenant, TenantRegistry
from infra.bootstrap import Kentra, bootstrap
from infra.settings import Settings
from infra.stores import PostgresStorage
from tests.conftest import TEST_MASTER_KEY, intake, service_url

pytestmark = pytest.mark.integration

POOL_SIZE, MAX_OVERFLOW = 2, 2
BOUND = 2 * (POOL_SIZE + MAX_OVERFLOW)  # the engine's pool and the event store's pool
THREADS = 3  # requests at once: below one pool's size, as http_threads is in production


@dataclass
class Fifty:
    registry: TenantRegistry
    tenants: list[Tenant]
    data_dir: Path


def settings(data_dir: Path, *, owner: bool = True) -> Settings:
    return Settings(
        data_dir=data_dir,
        master_key=SecretStr(TEST_MASTER_KEY),
        database_url=SecretStr(service_url("KENTRA_TEST_DATABASE_URL")),
        database_owner_url=SecretStr(service_url("KENTRA_TEST_DATABASE_OWNER_URL")) if owner else None,
        db_pool_size=POOL_SIZE,
        db_max_overflow=MAX_OVERFLOW,
    )


@pytest.fixture(scope="module")
def fifty(real_registry: TenantRegistry, tmp_path_factory: pytest.TempPathFactory) -> Fifty:
    """Fifty fresh municipalities, provisioned once by the owner, four at a time."""
    base = real_registry.tenant("sofades")
    tenants = [base.model_copy(update={"id": f"test-{uuid4().hex[:12]}"}) for _ in range(50)]
    registry = real_registry.model_copy(update={"tenants": (*real_registry.tenants, *tenants)})
    data_dir = tmp_path_factory.mktemp("connections")
    # Alembic's migration context is not thread-safe: four processes, as four `tenants sync` would.
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(provision, [(registry, data_dir, [t.id for t in tenants[i::4]]) for i in range(4)]))
    return Fifty(registry, tenants, data_dir)


def provision(job: tuple[TenantRegistry, Path, list[str]]) -> None:
    registry, data_dir, ids = job
    owner = bootstrap(settings(data_dir), registry=registry, today=lambda: date(2024, 6, 28))
    try:
        for tenant_id in ids:
            owner.provision(tenant_id)
    finally:
        owner.close()


def process(fifty: Fifty, monkeypatch: pytest.MonkeyPatch, *, owner: bool = True) -> tuple[Kentra, str]:
    """A platform as one process makes it, its connections named afresh."""
    name = f"kentra-test-{uuid4().hex[:10]}"
    monkeypatch.setenv("PGAPPNAME", name)
    return bootstrap(
        settings(fifty.data_dir, owner=owner), registry=fifty.registry, today=lambda: date(2024, 6, 28)
    ), name


def connections(name: str) -> int:
    with psycopg.connect(service_url("KENTRA_TEST_DATABASE_SUPERUSER_URL"), application_name="counter") as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,)).fetchone()
    assert row is not None
    return int(row[0])


def record(kentra: Kentra, tenant: Tenant) -> UUID:
    """What a caseworker's request does: an intake (log and vault), then the person's days (views)."""
    entry = (
        kentra.casework(tenant.id)
        .execute(
            intake(occurred_on="2024-03-01", personal__amka=make_amka(date(1960, 1, 1), int(time.time_ns() % 9000)))
        )
        .entry_id
    )
    kentra.views(tenant.id).served_days(entry)
    return entry


def follow(kentra: Kentra, tenant: Tenant) -> None:
    """What the workers do for a tenant: fold the new events into its views, extend its audit chain."""
    kentra.views(tenant.id).catch_up()
    kentra.audit_chain(tenant.id).extend()


@pytest.mark.parametrize("count", [4, 50])
def test_an_api_process_holds_the_same_connections_at_4_and_at_50_tenants(
    fifty: Fifty, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    kentra, name = process(fifty, monkeypatch)
    try:
        with ThreadPoolExecutor(THREADS) as pool:
            entries = list(pool.map(lambda t: record(kentra, t), fifty.tenants[:count]))
        assert len(set(entries)) == count
        assert 0 < connections(name) <= BOUND
    finally:
        kentra.close()
    assert connections(name) == 0


@pytest.mark.parametrize("count", [4, 50])
def test_a_worker_process_holds_the_same_connections_at_4_and_at_50_tenants(
    fifty: Fifty, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    api, _ = process(fifty, monkeypatch)
    try:
        for tenant in fifty.tenants[:count]:
            record(api, tenant)  # something new to follow in each tenant
    finally:
        api.close()
    worker, name = process(fifty, monkeypatch)
    try:
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(lambda t: follow(worker, t), fifty.tenants[:count]))
        for tenant in fifty.tenants[:count]:  # each tenant's views and chain reached its log's head
            assert worker.views(tenant.id).lag()["events_behind"] == 0
            head = worker.casework(tenant.id).recorder.max_notification_id()
            assert worker.audit_chain(tenant.id).head_position() == head
        assert 0 < connections(name) <= BOUND
    finally:
        worker.close()


def test_the_login_role_alone_reads_no_tenants_table(fifty: Fifty, monkeypatch: pytest.MonkeyPatch) -> None:
    kentra, _ = process(fifty, monkeypatch)
    tenant = fifty.tenants[0]
    storage = kentra.storage(tenant.id)
    assert isinstance(storage, PostgresStorage)
    try:
        with kentra.pools().engine().connect() as conn:  # type: ignore[union-attr]
            # A member of the tenant's role, able to SET it...
            assert conn.execute(text("SELECT pg_has_role(current_user, :r, 'MEMBER')"), {"r": storage.role}).scalar()
            # ... but without SET ROLE it holds none of its rights.
            assert not conn.execute(text("SELECT pg_has_role(current_user, :r, 'USAGE')"), {"r": storage.role}).scalar()
        with psycopg.connect(service_url("KENTRA_TEST_DATABASE_URL"), autocommit=True) as conn:
            for table in ("casework_events", "vault_subject_keys", "view_case_index", "audit_chain_keyed"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(f'SELECT count(*) FROM "{storage.schema}".{table}')
    finally:
        kentra.close()


def test_a_transaction_as_one_tenant_reads_nothing_of_another(fifty: Fifty, monkeypatch: pytest.MonkeyPatch) -> None:
    kentra, _ = process(fifty, monkeypatch)
    mine, theirs = (kentra.storage(t.id) for t in fifty.tenants[:2])
    assert isinstance(mine, PostgresStorage)
    assert isinstance(theirs, PostgresStorage)
    try:
        engine, _schema = mine.views_engine()
        for table in ("casework_events", "vault_subject_keys", "view_case_index"):
            with engine.connect() as conn:
                assert conn.execute(text("SELECT current_user")).scalar() == mine.role
                with pytest.raises(Exception, match="permission denied"):
                    conn.execute(text(f'SELECT count(*) FROM "{theirs.schema}".{table}'))
        recorder = kentra.casework(fifty.tenants[0].id).recorder
        datastore = recorder.datastore  # type: ignore[attr-defined]
        with pytest.raises(Exception, match="permission denied"), datastore.get_connection() as conn:
            conn.execute(f'SELECT count(*) FROM "{theirs.schema}".casework_events')
    finally:
        kentra.close()


def test_a_pooled_connection_carries_no_tenant_after_its_transaction(
    fifty: Fifty, monkeypatch: pytest.MonkeyPatch
) -> None:
    kentra, _ = process(fifty, monkeypatch)
    pools = kentra.pools()
    assert pools is not None
    pools.pool_size, pools.max_overflow = 1, 0  # one connection: the next user gets the same one
    storage = kentra.storage(fifty.tenants[0].id)
    assert isinstance(storage, PostgresStorage)
    try:
        engine, _schema = storage.views_engine()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_user, pg_backend_pid()")).one()[0] == storage.role
            conn.commit()
            after_commit = conn.execute(text("SELECT current_user")).scalar()  # a new transaction, the role again
        assert after_commit == storage.role
        with pools.engine().connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() == pools.login_role
        with storage.chain_engine()[0].connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() == storage.chain_role
        with pools.engine().connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() == pools.login_role
        # The event store's pool likewise: its tenant's transaction ends, the role with it.
        recorder = kentra.casework(fifty.tenants[0].id).recorder
        with recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
            assert conn.execute("SELECT current_user").fetchone() == {"current_user": storage.role}
        events = pools.events_pool()
        for _ in range(events.max_size):
            with events.connection() as conn:
                assert conn.execute("SELECT current_user").fetchone() == {"current_user": pools.login_role}
    finally:
        kentra.close()


def test_an_erasure_compacts_the_vault_without_the_owners_url(fifty: Fifty, monkeypatch: pytest.MonkeyPatch) -> None:
    api, _ = process(fifty, monkeypatch, owner=False)  # the application's secret only, as in production
    tenant = fifty.tenants[1]
    try:
        assert api.is_provisioned(tenant.id)
        who, kept = record(api, tenant), record(api, tenant)
        storage = api.storage(tenant.id)
        assert isinstance(storage, PostgresStorage)
        files = "SELECT pg_relation_filenode(:t)"
        table = f"{storage.schema}.vault_subject_keys"
        engine, _schema = storage.views_engine()
        with engine.connect() as conn:
            before = conn.execute(text(files), {"t": table}).scalar()
        api.erase(tenant.id, who, reason="asked", legal_ground="GDPR Art. 17", erased_by="coord")
        with engine.connect() as conn:
            after = conn.execute(text(files), {"t": table}).scalar()
        assert after != before  # new files: the deleted key's old tuples are not in them
        with engine.connect() as conn:
            keys = set(conn.execute(text(f'SELECT subject_id FROM "{storage.schema}".vault_subject_keys')).scalars())
        assert kept in keys
        assert who not in keys
    finally:
        api.close()


def test_tenants_sync_upgrades_a_store_whose_roles_logged_in(fifty: Fifty, monkeypatch: pytest.MonkeyPatch) -> None:
    kentra, _ = process(fifty, monkeypatch)
    tenant = fifty.tenants[2]
    storage = kentra.storage(tenant.id)
    assert isinstance(storage, PostgresStorage)
    owner = os.environ["KENTRA_TEST_DATABASE_OWNER_URL"]
    try:
        with psycopg.connect(owner, autocommit=True) as conn:  # the store as provisioned before issue 22
            conn.execute(f"ALTER ROLE {storage.role} LOGIN PASSWORD 'derived'")
            conn.execute(f"REVOKE {storage.role} FROM {kentra.pools().login_role}")  # type: ignore[union-attr]
        assert not storage.is_provisioned()
        kentra.provision(tenant.id)  # what `kentra tenants sync` does for each tenant
        assert storage.is_provisioned()
        with psycopg.connect(owner, autocommit=True) as conn:
            row = conn.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (storage.role,)).fetchone()
        assert row == (False,)
        record(kentra, tenant)
    finally:
        kentra.close()
