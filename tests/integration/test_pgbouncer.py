"""Issue 22: Kentra behind PgBouncer in transaction mode (production's pooler). Each transaction may
run on another server connection, so nothing may rely on session state: a prepared statement, a
session SET, a role left over. Two tenants' casework through three server connections shows it.

Needs Debian's ``pgbouncer`` (``infra/services/pgbouncer.sh install``); skipped without it unless
``KENTRA_TEST_REQUIRE_PGBOUNCER`` is set.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from eventsourcing import persistence
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from domain.identifiers import make_amka
from domain.tenants import Tenant, TenantRegistry
from infra.bootstrap import Kentra, bootstrap
from infra.pg_copy import COPY_FROM, CopyingRecorder
from infra.settings import Settings
from projections import household_queries, queries
from services import reporting
from services.answers import Answers
from services.idempotency import entry_id_for
from tests.conftest import TEST_MASTER_KEY, intake, service_url

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).parents[2] / "infra" / "services" / "pgbouncer.sh"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def bouncer() -> Iterator[str]:
    """The application's URL through a PgBouncer of this module's own, in transaction mode."""
    direct = make_url(service_url("KENTRA_TEST_DATABASE_URL"))
    if not Path("/usr/sbin/pgbouncer").exists():
        if os.environ.get("KENTRA_TEST_REQUIRE_PGBOUNCER"):
            pytest.fail("pgbouncer is not installed: run infra/services/pgbouncer.sh install")
        pytest.skip("pgbouncer is not installed (infra/services/pgbouncer.sh install)")
    # Not under pytest's directory (private to the user): as root the script runs PgBouncer as postgres.
    state = Path(tempfile.mkdtemp(prefix="kentra-pgbouncer-"))
    state.chmod(0o755)
    port = free_port()
    env = {
        **os.environ,
        "KENTRA_SERVICES_DIR": str(state),
        "KENTRA_PGBOUNCER_PORT": str(port),
        "KENTRA_PG_PORT": str(direct.port or 5432),
        "KENTRA_PG_DB": direct.database or "",
    }
    subprocess.run([str(SCRIPT), "start"], env=env, check=True, capture_output=True)
    try:
        yield direct.set(port=port).render_as_string(hide_password=False)
    finally:
        subprocess.run([str(SCRIPT), "stop"], env=env, check=False, capture_output=True)
        shutil.rmtree(state, ignore_errors=True)


def tenants(real_registry: TenantRegistry) -> tuple[TenantRegistry, list[Tenant]]:
    base = real_registry.tenant("sofades")
    made = [base.model_copy(update={"id": f"test-{uuid4().hex[:12]}"}) for _ in range(2)]
    return real_registry.model_copy(update={"tenants": (*real_registry.tenants, *made)}), made


def platform(url: str, data_dir: Path, registry: TenantRegistry, *, owner: bool) -> Kentra:
    settings = Settings(
        data_dir=data_dir,
        master_key=SecretStr(TEST_MASTER_KEY),
        database_url=SecretStr(url),
        database_owner_url=SecretStr(service_url("KENTRA_TEST_DATABASE_OWNER_URL")) if owner else None,
    )
    return bootstrap(settings, registry=registry, today=lambda: date(2024, 6, 28))


def test_two_tenants_casework_runs_through_pgbouncer_in_transaction_mode(
    bouncer: str, real_registry: TenantRegistry, tmp_path: Path
) -> None:
    registry, (first, second) = tenants(real_registry)
    migrate = platform(service_url("KENTRA_TEST_DATABASE_URL"), tmp_path, registry, owner=True)
    try:  # provisioning is DDL: the owner's, straight to PostgreSQL, as `kentra migrate` runs it
        for tenant in (first, second):
            migrate.provision(tenant.id)
    finally:
        migrate.close()
    kentra = platform(bouncer, tmp_path, registry, owner=False)
    try:

        def intake_in(job: tuple[Tenant, int]) -> tuple[str, object]:
            tenant, n = job
            command = intake(occurred_on="2024-03-01", personal__amka=make_amka(date(1961, 2, 3), n))
            return tenant.id, kentra.casework(tenant.id).execute(command).entry_id

        jobs = [(tenant, n) for n in range(1, 7) for tenant in (first, second)]  # interleaved tenants
        with ThreadPoolExecutor(4) as pool:
            recorded = list(pool.map(intake_in, jobs))
        for tenant in (first, second):
            mine = [entry for tid, entry in recorded if tid == tenant.id]
            views = kentra.views(tenant.id)
            views.catch_up()
            head = kentra.casework(tenant.id).recorder.max_notification_id()
            assert views.lag()["events_behind"] == 0
            assert kentra.audit_chain(tenant.id).extend() >= 0
            assert kentra.audit_chain(tenant.id).head_position() == head
            assert all(views.served_days(entry) == [date(2024, 3, 1)] for entry in mine)  # type: ignore[arg-type]
        erased = next(entry for tid, entry in recorded if tid == first.id)
        kentra.erase(first.id, erased, reason="asked", legal_ground="GDPR Art. 17", erased_by="coord")  # type: ignore[arg-type]
        # Whichever server connection a new client gets, it carries no tenant's role.
        for _ in range(6):
            with psycopg.connect(bouncer, autocommit=True) as conn:
                assert conn.execute("SELECT current_user").fetchone() == ("kentra_app",)
    finally:
        kentra.close()


def test_batches_large_enough_to_copy_and_live_commands_at_once_record_through_pgbouncer(
    bouncer: str, real_registry: TenantRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copied: list[int] = []
    insert = CopyingRecorder.insert_events

    def counted(self: CopyingRecorder, events: Any, **kwargs: Any) -> Any:
        if len(events) >= COPY_FROM:
            copied.append(len(events))
        return insert(self, events, **kwargs)

    monkeypatch.setattr(CopyingRecorder, "insert_events", counted)
    registry, (first, second) = tenants(real_registry)
    migrate = platform(service_url("KENTRA_TEST_DATABASE_URL"), tmp_path, registry, owner=True)
    try:
        for tenant in (first, second):
            migrate.provision(tenant.id)
    finally:
        migrate.close()
    kentra = platform(bouncer, tmp_path, registry, owner=False)
    try:

        def batch_in(job: tuple[Tenant, int]) -> int:
            tenant, n = job
            if n % 2:  # a live command
                command = intake(occurred_on="2024-03-01", personal__amka=make_amka(date(1962, 2, 3), n))
                kentra.casework(tenant.id).execute(command)
                return 1
            commands = [  # an import's batch: its events go by one COPY
                intake(occurred_on="2024-03-01", personal__amka=make_amka(date(1963, 1, 1), 100 * n + k))
                for k in range(40)
            ]
            results = kentra.casework(tenant.id).execute_many(commands)
            assert all(not isinstance(result, Exception) for result in results), results
            return len(commands)

        jobs = [(tenant, n) for n in range(1, 9) for tenant in (first, second)]
        with ThreadPoolExecutor(4) as pool:
            recorded = list(pool.map(batch_in, jobs, timeout=120))
        assert sum(recorded) == 2 * (4 * 1 + 4 * 40)
        assert len(copied) == 8  # each import batch went by COPY
        for tenant in (first, second):
            views = kentra.views(tenant.id)
            views.catch_up()
            assert views.lag()["events_behind"] == 0
        for _ in range(6):
            with psycopg.connect(bouncer, autocommit=True) as conn:
                assert conn.execute("SELECT current_user").fetchone() == ("kentra_app",)
    finally:
        kentra.close()


def test_an_answer_is_one_snapshot_and_a_failed_intake_leaves_no_vault_row_through_pgbouncer(
    bouncer: str, real_registry: TenantRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24's two changes behind PgBouncer in transaction mode: the REPEATABLE READ of an indicators
    answer holds on the answer's one server connection while a fold commits on another (and no
    connection keeps it afterwards: it is BEGIN's, not the session's); an intake whose save fails rolls
    its ΑΜΚΑ claim back with its events (the vault's statements ride in the unit's transaction)."""
    registry, (first, _) = tenants(real_registry)
    migrate = platform(service_url("KENTRA_TEST_DATABASE_URL"), tmp_path, registry, owner=True)
    try:
        migrate.provision(first.id)
    finally:
        migrate.close()
    kentra = platform(bouncer, tmp_path, registry, owner=False)
    try:
        casework = kentra.casework(first.id)
        amka = make_amka(date(1964, 4, 5), 9191)
        recorder = casework.recorder
        insert = recorder.insert_events

        def the_connection_drops_at_the_insert(*args: Any, **kwargs: Any) -> Any:
            raise persistence.OperationalError("server closed the connection unexpectedly")

        monkeypatch.setattr(recorder, "insert_events", the_connection_drops_at_the_insert)
        failed = intake(occurred_on="2024-03-01", personal__amka=amka)
        with pytest.raises(persistence.OperationalError):
            casework.execute(failed)
        monkeypatch.setattr(recorder, "insert_events", insert)
        never_recorded = entry_id_for(first.id, failed.command_id)
        with psycopg.connect(service_url("KENTRA_TEST_DATABASE_OWNER_URL")) as conn:
            row = conn.execute(
                f'SELECT count(*) FROM "{first.storage_name}".vault_lookup WHERE owner_id = %s', (never_recorded,)
            ).fetchone()
        assert row == (0,)  # no claim of a person never recorded
        kept = casework.execute(intake(occurred_on="2024-03-01", personal__amka=amka)).entry_id
        assert casework.find_by_amka(amka) == kept

        views = kentra.views(first.id)
        views.catch_up()
        households = household_queries.households_served
        seen: list[dict[str, Any]] = []

        def another_intake_folds_meanwhile(conn: Any, *args: Any) -> Any:
            casework.execute(intake(occurred_on="2024-03-02", personal__amka=make_amka(date(1964, 4, 5), 9292)))
            views.catch_up()  # committed through another server connection
            seen.append(queries.indicators(conn, *args))  # the answer's own, again
            return households(conn, *args)

        monkeypatch.setattr(household_queries, "households_served", another_intake_folds_meanwhile)
        answer = reporting.indicators(views, date(2024, 1, 1), date(2024, 12, 31), None, answers=Answers(0))
        monkeypatch.undo()
        answer.pop("households_served")
        assert seen == [answer]
        after = reporting.indicators(views, date(2024, 1, 1), date(2024, 12, 31), None, answers=Answers(0))
        assert after["beneficiaries_served"] != answer["beneficiaries_served"]
        for _ in range(6):  # whichever server connection a read gets, it is READ COMMITTED again
            with views.engine.connect() as read:
                assert read.exec_driver_sql("SHOW transaction_isolation").scalar() == "read committed"
    finally:
        kentra.close()
